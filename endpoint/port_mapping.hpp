#pragma once
// A port mapping on the LAN's router, whichever protocol made it (UPnP IGD in
// endpoint/upnp, NAT-PMP in endpoint/natpmp). The calls block with short
// timeouts: run them off the io thread (endpoint/port_mapper).
#include <cstdint>
#include <string>

namespace burrow::endpoint {

struct Mapping {
    std::string router;        // the router's address, for messages
    std::string lan_address;   // this machine's address on the router's LAN
    std::string external_address;
    std::uint16_t external_port = 0;
    std::uint16_t internal_port = 0;
    unsigned lease_seconds = 0;  // 0: permanent (the router takes no other)
    std::string protocol;        // "UPnP" or "NAT-PMP"
};

class MappingRouter {
public:
    virtual ~MappingRouter() = default;
    // Maps an external TCP port (the internal one if free, else one near it)
    // to `internal_port` on this machine. Refuses an external address that is
    // private or carrier-grade NAT: nothing outside could reach the mapping.
    virtual bool map(std::uint16_t internal_port, unsigned lease_seconds, const std::string& description,
                     Mapping& out, std::string& why) = 0;
    // Asks for the same mapping again before its lease runs out; the router
    // may move it to another external port, and then `mapping` says so.
    virtual bool renew(Mapping& mapping, const std::string& description, std::string& why) = 0;
    virtual bool remove(const Mapping& mapping, std::string& why) = 0;
};

// "100.64.0.0/10 (carrier-grade NAT)", "192.168.0.0/16 (private)", or "" for a
// public IPv4 address. Also "" for text that is not IPv4.
std::string non_public_range(const std::string& ipv4);

// Why a port mapped on a router with this external address could not be
// reached from outside, or "" when it could.
std::string unreachable_external_address(const std::string& router, const std::string& address);

}  // namespace burrow::endpoint
