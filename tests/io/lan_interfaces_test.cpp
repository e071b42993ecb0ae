// io::lan_interfaces against what getifaddrs says: only interfaces that are
// up, have a MAC and an IPv4 address are listed; loopback never is.
#include <gtest/gtest.h>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <array>
#include <bit>
#include <cstring>
#include <utility>
#include <vector>

#include "io/lan_interfaces.hpp"

namespace burrow::io {
namespace {

// The IPv4 addresses with their prefixes of the interfaces that are up and not loopback.
std::vector<std::pair<std::array<std::uint8_t, 4>, int>> up_ipv4_not_loopback() {
    std::vector<std::pair<std::array<std::uint8_t, 4>, int>> out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return out;
    for (const ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || !i->ifa_netmask || i->ifa_addr->sa_family != AF_INET) continue;
        if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK)) continue;
        std::array<std::uint8_t, 4> address{};
        std::memcpy(address.data(), &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
        const std::uint32_t mask = reinterpret_cast<const sockaddr_in*>(i->ifa_netmask)->sin_addr.s_addr;
        out.emplace_back(address, std::popcount(mask));
    }
    ::freeifaddrs(list);
    return out;
}

TEST(LanInterfaces, ListsOnlyUpInterfacesWithAMacAndNeverLoopback) {
    const auto listed = lan_interfaces();
    const auto candidates = up_ipv4_not_loopback();
    EXPECT_LE(listed.size(), proto::kMaxLanInterfaces);
    EXPECT_LE(listed.size(), candidates.size());
    for (const auto& itf : listed) {
        EXPECT_NE(itf.address[0], 127) << "loopback listed";
        EXPECT_NE(itf.mac, (std::array<std::uint8_t, 6>{})) << "listed without a MAC";
        EXPECT_LE(itf.prefix, 32);
        bool found = false;
        for (const auto& [address, prefix] : candidates)
            found = found || (address == itf.address && prefix == itf.prefix);
        EXPECT_TRUE(found) << "not an up, non-loopback IPv4 interface";
    }
}

}  // namespace
}  // namespace burrow::io
