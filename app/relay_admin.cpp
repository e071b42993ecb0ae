#include "app/relay_admin.hpp"

#include <fstream>
#include <sstream>


namespace burrow::app {

namespace {

constexpr std::size_t kMinTokenLength = 16;

std::string read_token_file(const std::string& path, const std::string& where) {
    std::ifstream in(path);
    if (!in) throw ConfigError(where + ": cannot read token_file " + path);
    std::stringstream text;
    text << in.rdbuf();
    std::string token = text.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
    return token;
}

}  // namespace

relay::AdminOptions admin_options(const AdminEntry& entry) {
    relay::AdminOptions options;
    const auto listen = io::parse_host_port(entry.listen, true);
    if (!listen) throw ConfigError(entry.where + ": [admin] listen '" + entry.listen + "' is not HOST:PORT");
    options.listen = *listen;
    options.allow_remote = entry.allow_remote;
    if (entry.token && entry.token_file)
        throw ConfigError(entry.where + ": [admin] takes 'token' or 'token_file', not both");
    if (entry.token) options.token = *entry.token;
    if (entry.token_file) options.token = read_token_file(*entry.token_file, entry.where);
    if ((entry.token || entry.token_file) && options.token.size() < kMinTokenLength)
        throw ConfigError(entry.where + ": the [admin] token must be at least " + std::to_string(kMinTokenLength) +
                          " characters (make one with: head -c 24 /dev/urandom | base64)");
    if (!relay::is_loopback_host(options.listen.host)) {
        if (!options.allow_remote)
            throw ConfigError(entry.where + ": [admin] listen " + options.listen.str() +
                              " is not a loopback address, and the status page shows who is online: keep it on "
                              "127.0.0.1 (reach it with ssh -L), or set allow_remote = true with a token");
        if (options.token.empty())
            throw ConfigError(entry.where + ": [admin] allow_remote = true needs a token (token or token_file)");
    }
    return options;
}

}  // namespace burrow::app
