#pragma once
// The relay's admin surface on the command line: the [admin] table turned
// into the listener's options, and `burrow status`.
#include <optional>
#include <string>

#include "app/config.hpp"
#include "relay/admin_server.hpp"

namespace burrow::app {

// Checks [admin]: a loopback address unless allow_remote = true, which also
// needs a token; the token from `token` or `token_file`, at least 16
// characters. Throws ConfigError naming the file and line.
relay::AdminOptions admin_options(const AdminEntry& entry);

struct StatusArgs {
    std::string config;          // relay config, only to find its control socket
    std::string control_socket;
    bool json = false;
};

// `burrow status`: what the relay running on this machine says of itself.
int run_status(const StatusArgs& args);

}  // namespace burrow::app
