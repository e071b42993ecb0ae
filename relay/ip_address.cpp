#include "relay/ip_address.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace burrow::relay {

std::optional<IpAddress> parse_ip(std::string_view text) {
    IpAddress ip;
    const std::string s(text);
    if (::inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
        ip.v4 = true;
        return ip;
    }
    if (::inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(ip.bytes.data(), kMapped, 12) == 0) {  // ::ffff:1.2.3.4
        IpAddress v4;
        std::memcpy(v4.bytes.data(), ip.bytes.data() + 12, 4);
        v4.v4 = true;
        return v4;
    }
    return ip;
}

bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, unsigned bits) {
    const unsigned whole = bits / 8, rest = bits % 8;
    if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
    if (rest == 0) return true;
    const std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

std::string source_of(std::string_view address) {
    auto ip = parse_ip(address);
    if (!ip) return std::string(address);
    char text[INET6_ADDRSTRLEN] = {};
    if (ip->v4) {
        ::inet_ntop(AF_INET, ip->bytes.data(), text, sizeof text);
        return text;
    }
    std::fill(ip->bytes.begin() + 8, ip->bytes.end(), std::uint8_t{0});
    ::inet_ntop(AF_INET6, ip->bytes.data(), text, sizeof text);
    return std::string(text) + "/64";
}

std::string host_of(const std::string& address) {
    const auto colon = address.rfind(':');
    std::string host = colon == std::string::npos ? address : address.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return host;
}


}  // namespace burrow::relay
