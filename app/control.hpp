#pragma once
// The control socket of the long-running roles (io/control_socket.hpp) as the
// command line sees it: where it is, opening it, and `burrow relay reload` /
// `burrow endpoint reload`.
#include <memory>
#include <optional>
#include <string>

#include "io/control_socket.hpp"

namespace burrow::app {

// --control-socket, else `control_socket` from the role's config file, else
// <config dir>/<role>.sock ("relay" or "endpoint").
std::string control_socket_path(const std::string& role, const std::string& flag,
                                const std::optional<std::string>& from_file);

// Opens the role's control socket. A path given by flag or config must work
// (else this throws); the default one is best effort: if another process holds
// it, or it cannot be made, a warning says so and the result is null.
std::unique_ptr<io::ControlServer> open_control_socket(io::asio::any_io_executor ex, const std::string& role,
                                                       const std::string& flag,
                                                       const std::optional<std::string>& from_file,
                                                       io::ControlRequests requests);

struct ReloadArgs {
    std::string config;          // only to find the control socket in it
    std::string control_socket;
};

// `burrow <role> reload`: asks the running process to reload its config and
// prints its answer. 0 if it reloaded, 1 if it refused or is not running.
int run_reload(const std::string& role, const ReloadArgs& args);

}  // namespace burrow::app
