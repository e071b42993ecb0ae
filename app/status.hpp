#pragma once
// `burrow status`: what the burrow processes of this machine say of
// themselves — the relay (over its control socket) and each running
// `burrow forward` (over its own, forward-<pid>.sock in burrow's folder).
#include <memory>
#include <string>

#include "io/control_socket.hpp"

namespace burrow::client {
class Forwarder;
}

namespace burrow::app {

struct StatusArgs {
    std::string config;          // relay config, only to find its control socket
    std::string control_socket;  // the relay's
    bool json = false;
};

int run_status(const StatusArgs& args);

// The running forward's control socket, answering "status"; null (with a
// warning) if it cannot be made. Removed when the returned server goes.
std::unique_ptr<io::ControlServer> open_forward_socket(io::asio::any_io_executor ex, const client::Forwarder& forward);

}  // namespace burrow::app
