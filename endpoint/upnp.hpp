#pragma once
// Port mappings on the LAN's router by UPnP IGD (libminiupnpc).
#include <cstdint>
#include <memory>
#include <string>

#include "endpoint/port_mapping.hpp"

namespace burrow::endpoint {

class UpnpRouter final : public MappingRouter {
public:
    // Looks for an Internet Gateway Device for up to `wait_ms`; null with
    // `why` set when none answers or it is not connected.
    static std::unique_ptr<UpnpRouter> discover(int wait_ms, std::string& why);
    ~UpnpRouter() override;
    UpnpRouter(const UpnpRouter&) = delete;
    UpnpRouter& operator=(const UpnpRouter&) = delete;

    bool map(std::uint16_t internal_port, unsigned lease_seconds, const std::string& description, Mapping& out,
             std::string& why) override;
    bool renew(Mapping& mapping, const std::string& description, std::string& why) override;
    bool remove(const Mapping& mapping, std::string& why) override;

private:
    struct State;
    explicit UpnpRouter(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace burrow::endpoint
