#pragma once
// The [admin] table of the relay config turned into the admin listener's options.
#include <optional>
#include <string>

#include "app/config.hpp"
#include "relay/admin_server.hpp"

namespace burrow::app {

// Checks [admin]: a loopback address unless allow_remote = true, which also
// needs a token; the token from `token` or `token_file`, at least 16
// characters. Throws ConfigError naming the file and line.
relay::AdminOptions admin_options(const AdminEntry& entry);

}  // namespace burrow::app
