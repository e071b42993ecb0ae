#pragma once
// Port mappings on the LAN's router by NAT-PMP (RFC 6886, libnatpmp), for
// routers that do not speak UPnP IGD.
#include <cstdint>
#include <memory>
#include <string>

#include "endpoint/port_mapping.hpp"

namespace burrow::endpoint {

class NatPmpRouter final : public MappingRouter {
public:
    // Asks the default gateway for its external address, for up to `wait_ms`;
    // null with `why` set when it does not answer or has none worth mapping on.
    static std::unique_ptr<NatPmpRouter> discover(int wait_ms, std::string& why);
    ~NatPmpRouter() override;
    NatPmpRouter(const NatPmpRouter&) = delete;
    NatPmpRouter& operator=(const NatPmpRouter&) = delete;

    bool map(std::uint16_t internal_port, unsigned lease_seconds, const std::string& description, Mapping& out,
             std::string& why) override;
    bool renew(Mapping& mapping, const std::string& description, std::string& why) override;
    bool remove(const Mapping& mapping, std::string& why) override;

private:
    struct State;
    explicit NatPmpRouter(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace burrow::endpoint
