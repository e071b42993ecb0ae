#include "endpoint/port_mapping.hpp"

#include <arpa/inet.h>

namespace burrow::endpoint {

std::string non_public_range(const std::string& ipv4) {
    in_addr a{};
    if (::inet_pton(AF_INET, ipv4.c_str(), &a) != 1) return "";
    const std::uint32_t v = ntohl(a.s_addr);
    const auto in = [v](std::uint32_t net, int bits) { return (v >> (32 - bits)) == (net >> (32 - bits)); };
    if (in(0x0A000000, 8)) return "10.0.0.0/8 (private)";
    if (in(0xAC100000, 12)) return "172.16.0.0/12 (private)";
    if (in(0xC0A80000, 16)) return "192.168.0.0/16 (private)";
    if (in(0x64400000, 10)) return "100.64.0.0/10 (carrier-grade NAT)";
    if (in(0x7F000000, 8)) return "127.0.0.0/8 (loopback)";
    if (in(0xA9FE0000, 16)) return "169.254.0.0/16 (link-local)";
    if (in(0x00000000, 8)) return "0.0.0.0/8 (unspecified)";
    if (v >= 0xE0000000) return "224.0.0.0/3 (multicast or reserved)";
    return "";
}

std::string unreachable_external_address(const std::string& router, const std::string& address) {
    if (address.empty()) return "the router " + router + " has no external address (is its WAN link up?)";
    const auto range = non_public_range(address);
    if (range.empty()) return "";
    return "the router " + router + "'s external address " + address + " is in " + range +
           ": another NAT stands between it and the internet, so a port mapped there cannot be reached "
           "from outside";
}

}  // namespace burrow::endpoint
