#include "app/ssh_config.hpp"

#include <string_view>

namespace burrow::app {

std::string proxy_command_word(const std::string& word) {
    static constexpr std::string_view kPlain =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@+,-";
    std::string out;
    const bool plain = !word.empty() && word.find_first_not_of(kPlain) == std::string::npos;
    if (!plain) out += '\'';
    for (char c : word) {
        if (c == '%') out += "%%";
        else if (c == '\'') out += "'\\''";
        else out += c;
    }
    if (!plain) out += '\'';
    return out;
}

std::string ssh_config_text(const std::vector<std::string>& endpoints, const SshConfigOptions& options) {
    std::string command = proxy_command_word(options.burrow) + " connect";
    if (options.wake) command += " --wake";
    for (const auto& a : options.relay_args) command += " " + proxy_command_word(a);
    std::string out;
    for (const auto& name : endpoints) {
        out += "Host " + name + "\n";
        // ssh's known_hosts entry is the endpoint's, not that of whatever "gpu" resolves to.
        out += "    HostKeyAlias " + name + ".burrow\n";
        out += "    ProxyCommand " + command + " %n ssh\n";
        if (!options.user.empty()) out += "    User " + options.user + "\n";
        out += "\n";
    }
    return out;
}

}  // namespace burrow::app
