#pragma once
// Keeps a port mapping (UPnP IGD, else NAT-PMP) to the endpoint's direct
// listener for as long as it runs: maps, renews before the lease ends, removes
// it on stop. miniupnpc and libnatpmp block, so this runs on a thread of its
// own; it tells the endpoint what is mapped (or that nothing is) through
// `on_change`, run on the endpoint's executor. Each reason it cannot map is
// logged once.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "endpoint/port_mapping.hpp"
#include "io/asio.hpp"

namespace burrow::endpoint {

class PortMapper {
public:
    using OnChange = std::function<void(const std::optional<Mapping>&)>;
    PortMapper(io::asio::any_io_executor ex, std::uint16_t internal_port, std::string description, OnChange on_change);
    ~PortMapper();  // stop()
    PortMapper(const PortMapper&) = delete;
    PortMapper& operator=(const PortMapper&) = delete;

    void start();
    // Removes the mapping and ends the thread (a router on the LAN answers in milliseconds).
    void stop();

private:
    void run();
    bool sleep_for(std::chrono::seconds duration);  // false: stopping
    void report(const std::optional<Mapping>& mapping);

    io::asio::any_io_executor ex_;
    std::uint16_t internal_port_;
    std::string description_;
    OnChange on_change_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
};

}  // namespace burrow::endpoint
