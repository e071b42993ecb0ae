#pragma once
// What the relay knows for waking endpoints: each endpoint's LAN interfaces
// (MACs, IPv4 subnets) and public address as last reported, kept after it
// goes offline in a small state file (so a relay restart forgets nothing),
// and what the config adds (`wake = { mac = "...", via = ["lab-nas"] }`).
// plan() picks an online endpoint on the same LAN to send the magic packet.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "proto/control.hpp"
#include "proto/wake.hpp"

namespace burrow::relay {

struct WakeConfig {
    std::optional<proto::MacAddress> mac;
    std::vector<std::string> via;  // endpoints that may send its packet, whatever their LAN
};

struct WakeFacts {
    std::vector<proto::LanInterface> interfaces;
    std::string public_address;  // as the relay saw it
    std::int64_t last_seen = 0;  // seconds since the epoch
};

class WakeBook {
public:
    // Reads `state_file` (a missing one is empty; an unreadable line is skipped). Empty path: nothing is kept.
    explicit WakeBook(std::string state_file = {});

    void configure(std::map<std::string, WakeConfig> config) { config_ = std::move(config); }
    // An endpoint reported its LAN; saved at once. Throws nothing: a failed save is logged by the caller's result.
    std::string report(const std::string& name, std::vector<proto::LanInterface> interfaces,
                       std::string public_address, std::int64_t now);
    // It went offline now: "last seen". Saved; "" or why not.
    std::string seen(const std::string& name, std::int64_t now);

    struct Plan {
        std::string via;  // the endpoint that sends it
        proto::WakeOrder order;
    };
    // Who wakes `target`, among the endpoints `online` now; else why no one can.
    std::variant<Plan, std::string> plan(const std::string& target, const std::vector<std::string>& online) const;
    // Every endpoint in `online` that could wake `target`, in the order plan() tries them.
    std::vector<std::string> wakers(const std::string& target, const std::vector<std::string>& online) const;
    // Every endpoint name the relay has facts of.
    std::vector<std::string> known() const;

    const WakeFacts* facts(const std::string& name) const;
    const std::string& state_file() const noexcept { return state_file_; }

private:
    std::string save() const;  // "" or why it failed
    std::vector<Plan> plans(const std::string& target, const std::vector<std::string>& online) const;

    std::string state_file_;
    std::map<std::string, WakeFacts> facts_;
    std::map<std::string, WakeConfig> config_;
};

}  // namespace burrow::relay
