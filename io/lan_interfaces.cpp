#include "io/lan_interfaces.hpp"

#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <bit>
#include <cstring>
#include <map>
#include <string>

namespace burrow::io {

std::vector<proto::LanInterface> lan_interfaces() {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return {};
    std::map<std::string, std::array<std::uint8_t, 6>> macs;
    for (const ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_PACKET || (i->ifa_flags & IFF_LOOPBACK)) continue;
        const auto* ll = reinterpret_cast<const sockaddr_ll*>(i->ifa_addr);
        if (ll->sll_halen != 6) continue;
        std::array<std::uint8_t, 6> mac{};
        std::memcpy(mac.data(), ll->sll_addr, 6);
        if (mac != std::array<std::uint8_t, 6>{}) macs[i->ifa_name] = mac;
    }
    std::vector<proto::LanInterface> out;
    for (const ifaddrs* i = list; i && out.size() < proto::kMaxLanInterfaces; i = i->ifa_next) {
        if (!i->ifa_addr || !i->ifa_netmask || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP)) continue;
        const auto mac = macs.find(i->ifa_name);
        if (mac == macs.end()) continue;
        proto::LanInterface itf;
        itf.mac = mac->second;
        std::memcpy(itf.address.data(), &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
        const std::uint32_t mask = reinterpret_cast<const sockaddr_in*>(i->ifa_netmask)->sin_addr.s_addr;
        itf.prefix = static_cast<std::uint8_t>(std::popcount(mask));
        out.push_back(itf);
    }
    ::freeifaddrs(list);
    return out;
}

}  // namespace burrow::io
