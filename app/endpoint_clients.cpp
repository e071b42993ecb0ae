#include "app/endpoint_clients.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "app/keys.hpp"
#include "crypto/key_files.hpp"
#include "proto/control.hpp"
#include "relay/status.hpp"

namespace burrow::app {

namespace {

constexpr std::size_t kMaxListFile = 1024 * 1024;

std::vector<std::string> checked_services(const std::vector<std::string>& names, const std::string& where) {
    std::vector<std::string> out;
    for (const auto& n : names) {
        if (n == "*") return {};
        if (!proto::is_valid_name(n)) throw ConfigError(where + ": '" + n + "' is not a service name");
        out.push_back(n);
    }
    return out;
}

}  // namespace

std::string allowed_clients_path(const EndpointFile& file) {
    return file.allowed_clients.value_or(crypto::config_dir() + "/allowed_clients");
}

endpoint::ClientList load_endpoint_clients(const EndpointArgs& args, const EndpointFile& file) {
    std::vector<endpoint::AllowedClient> clients;
    for (const auto& c : file.clients)
        clients.push_back({parse_public_key(c.key, c.where), checked_services(c.services, c.where), c.name, c.where});
    const std::string path = allowed_clients_path(file);
    try {
        if (const auto text = crypto::read_file(path, kMaxListFile)) {
            auto listed = endpoint::parse_allowed_clients(*text, path);
            clients.insert(clients.end(), listed.begin(), listed.end());
        }
    } catch (const ConfigError&) {
        throw;
    } catch (const std::exception& e) {
        throw ConfigError(e.what());
    }
    for (const auto& text : args.allow) {
        const auto key = crypto::PublicKey::parse(text);
        if (!key) throw UsageError("--allow '" + text + "': expected a client's key, as its `burrow id` prints it");
        clients.push_back({*key, {}, "", "--allow"});
    }
    return endpoint::ClientList(std::move(clients));
}

void log_endpoint_clients(const endpoint::ClientList& clients, const std::string& file) {
    if (clients.empty()) {
        spdlog::warn("no client may reach this endpoint's services yet: for each client, run here "
                     "`burrow endpoint allow 'KEY'` with the key its `burrow id` prints (it goes to {}), then "
                     "`burrow endpoint reload`",
                     file);
        return;
    }
    for (const auto& c : clients.clients())
        spdlog::info("client {} may reach {} ({})", clients.describe(c.key),
                     c.services.empty() ? std::string("every service") : relay::joined(c.services, ", "), c.origin);
}

int run_endpoint_allow(const AllowArgs& args) {
    std::string text;
    for (const auto& w : args.key) text += (text.empty() ? "" : " ") + w;
    const auto key = crypto::PublicKey::parse(text);
    if (!key) {
        std::fprintf(stderr, "burrow: '%s' is not a key: give the line the client's `burrow id` prints "
                             "(burrow-ed25519 BASE64)\n", text.c_str());
        return 2;
    }
    const auto words_end = text.find(' ', text.find(' ') + 1);
    const std::string comment = words_end == std::string::npos ? "" : text.substr(words_end + 1);
    EndpointFile file;
    if (!args.config.empty()) file = load_endpoint_file(args.config);
    const std::string path = allowed_clients_path(file);
    const auto services = checked_services(args.services, "--service");
    crypto::append_line(path, endpoint::allowed_client_line(*key, services, comment) + "\n");
    std::printf("allowed %s to reach %s (in %s); `burrow endpoint reload` makes a running endpoint take it\n",
                key->fingerprint().c_str(), services.empty() ? "every service" : relay::joined(services, ", ").c_str(),
                path.c_str());
    return 0;
}

}  // namespace burrow::app
