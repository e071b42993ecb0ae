#pragma once
// `burrow ssh-config`: ssh `Host` blocks that reach endpoints through burrow,
// ready to append to ~/.ssh/config, so that `ssh gpu`, scp, sftp, rsync and
// editors' remote-SSH just work.
#include <string>
#include <vector>

namespace burrow::app {

struct SshConfigOptions {
    std::string burrow;                  // the burrow binary ssh runs
    std::vector<std::string> relay_args;  // --relay ... [--relay-key ...] [-c ...], as given
    std::string user;                    // User, if any
    bool wake = false;                   // connect --wake
};

// One block per endpoint name, in order.
std::string ssh_config_text(const std::vector<std::string>& endpoints, const SshConfigOptions& options);

// A word of a ProxyCommand, which ssh hands to the shell after expanding
// its %-tokens: shell-quoted when needed, '%' doubled.
std::string proxy_command_word(const std::string& word);

}  // namespace burrow::app
