#pragma once
// The control socket of the long-running roles (io/control_socket.hpp) as the
// command line sees it: where it is, opening it, and `burrow relay reload` /
// `burrow endpoint reload`.
#include <memory>
#include <functional>
#include <optional>
#include <string>

#include "io/control_socket.hpp"

namespace burrow::app {

// --control-socket, else `control_socket` from the role's config file, else
// <config dir>/<role>.sock ("relay" or "endpoint").
std::string control_socket_path(const std::string& role, const std::string& flag,
                                const std::optional<std::string>& from_file);

// The role's control socket while it runs. A path given by flag or config
// must work (else the constructor throws); the default one is best effort: if
// it cannot be made, a warning says so, and if another running process holds
// it, this one says so and takes it over once that process has gone (a relay
// started while the old one drains). release() gives it up, so that the next
// process of the role can take it (at drain).
class ControlSocket {
public:
    ControlSocket(io::asio::any_io_executor ex, std::string role, const std::string& flag,
                  const std::optional<std::string>& from_file, io::ControlRequests requests);
    void release();

private:
    bool try_open(bool chosen, bool first);
    void retry_later();

    std::string role_;
    std::string path_;
    io::ControlRequests requests_;
    io::asio::steady_timer retry_;
    std::unique_ptr<io::ControlServer> server_;
};

// One request over the control socket at `path`, waiting for the answer.
// Throws io::ControlUnreachable if nothing listens there.
io::ControlReply ask_control(const std::string& path, const std::string& request);

// Asks the running `role` (relay or endpoint) on its control socket: the one
// given by flag or config, else burrow's folder's, else the packaged
// service's (/var/lib/burrow/<role>.sock). `tried` gets the paths asked.
// Throws io::ControlUnreachable if none answers.
io::ControlReply ask_role(const std::string& role, const std::string& flag, const std::optional<std::string>& from_file,
                          const std::string& request, std::string& tried);

struct ReloadArgs {
    std::string config;          // only to find the control socket in it
    std::string control_socket;
};

// `burrow <role> reload`: asks the running process to reload its config and
// prints its answer. 0 if it reloaded, 1 if it refused or is not running.
int run_reload(const std::string& role, const ReloadArgs& args);

}  // namespace burrow::app
