#pragma once
// Port mappings on the LAN's router by UPnP IGD (libminiupnpc). Blocking
// calls with short timeouts: run them off the io thread (endpoint/port_mapper).
#include <cstdint>
#include <memory>
#include <string>

namespace burrow::endpoint {

struct Mapping {
    std::string router;        // the IGD's control URL host, for messages
    std::string lan_address;   // this machine's address on the router's LAN
    std::string external_address;
    std::uint16_t external_port = 0;
    std::uint16_t internal_port = 0;
    unsigned lease_seconds = 0;  // 0: permanent (the router takes no other)
};

// Why a mapping cannot be had, in plain words, with what stays true ("relay only").
struct MappingRefused {
    std::string reason;
};

class UpnpRouter {
public:
    // Looks for an Internet Gateway Device for up to `wait_ms`; null with
    // `why` set when none answers or it is not connected.
    static std::unique_ptr<UpnpRouter> discover(int wait_ms, std::string& why);
    ~UpnpRouter();
    UpnpRouter(const UpnpRouter&) = delete;
    UpnpRouter& operator=(const UpnpRouter&) = delete;

    // Maps an external TCP port (the internal one if free, else one near it)
    // to `internal_port` on this machine. Refuses an external address that is
    // private or carrier-grade NAT: nothing outside could reach the mapping.
    bool map(std::uint16_t internal_port, unsigned lease_seconds, const std::string& description, Mapping& out,
             std::string& why);
    // Adds the same mapping again, before its lease runs out.
    bool renew(const Mapping& mapping, const std::string& description, std::string& why);
    bool remove(const Mapping& mapping, std::string& why);
    const std::string& lan_address() const noexcept;

private:
    struct State;
    explicit UpnpRouter(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

// "100.64.0.0/10 (carrier-grade NAT)", "192.168.0.0/16 (private)", or "" for a
// public IPv4 address. Also "" for text that is not IPv4.
std::string non_public_range(const std::string& ipv4);

}  // namespace burrow::endpoint
