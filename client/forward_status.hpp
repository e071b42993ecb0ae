#pragma once
// What a running `burrow forward` says of itself: its session to the relay
// and each -L with its connections and bytes. Its control socket answers
// "status" with this as JSON, which `burrow status` on the laptop prints.
#include <cstdint>
#include <string>
#include <vector>

namespace burrow::client {

struct ForwardStatus {
    struct Listener {
        std::string listen;  // bound address
        std::string target;  // endpoint/service
        std::string state;   // "ok", "offline", "no endpoint", ... as last checked; "" before
        std::uint64_t connections_open = 0;
        std::uint64_t connections = 0;
        std::uint64_t bytes_sent = 0;
        std::uint64_t bytes_received = 0;
        std::string path;  // how new connections go: "relay" or "direct HOST:PORT"
    };
    int pid = 0;
    std::string relay;
    std::string session;  // "connected", "resuming", "connecting", "refused"
    std::string detail;   // why it is not connected, when it is not
    std::int64_t since = 0;  // connected since (seconds since the epoch), 0 when not
    std::int64_t now = 0;
    std::vector<Listener> forwards;
};

std::string forward_status_json(const ForwardStatus& status);
// Throws std::runtime_error if `text` is not a forward's status.
ForwardStatus parse_forward_status_json(const std::string& text);

}  // namespace burrow::client
