// `burrow known`: the relay and endpoint keys this machine trusts, and
// `burrow known rm` to forget one (after a key really changed).
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/keys.hpp"
#include "crypto/known_peers.hpp"
#include "io/relay_dial.hpp"

namespace burrow::app {
namespace {

std::string client_config(const KnownArgs& args) {
    if (!args.config.empty()) return args.config;
    const auto path = std::filesystem::path(crypto::config_dir()) / "client.toml";
    return std::filesystem::exists(path) ? path.string() : std::string{};
}

void print_pin(const char* kind, const std::string& name, const crypto::PublicKey& key, const std::string& from) {
    std::printf("%-9s %-24s %s  %s\n", kind, name.c_str(), key.fingerprint().c_str(), from.c_str());
}

}  // namespace

int run_known(const KnownArgs& args) {
    std::size_t count = 0;
    for (const auto& [kind, path] : {std::pair{"relay", crypto::default_known_relays_path()},
                                     std::pair{"endpoint", crypto::default_known_endpoints_path()}})
        for (const auto& pin : crypto::KnownPeers(path).list()) {
            print_pin(kind, pin.name, pin.key, "trusted on first use (" + path + ":" + std::to_string(pin.line) + ")");
            ++count;
        }
    if (const auto config = client_config(args); !config.empty()) {
        const auto file = load_client_file(config);
        if (file.relay_key) {
            print_pin("relay", file.relay.value_or("(any)"), parse_public_key(*file.relay_key, config + ": relay_key"),
                      "pinned by relay_key in " + config);
            ++count;
        }
        for (const auto& [name, text] : file.endpoint_keys) {
            print_pin("endpoint", name, parse_public_key(text, config + ": [endpoints] " + name),
                      "pinned in " + config + " [endpoints]");
            ++count;
        }
    }
    if (count == 0)
        std::fprintf(stderr, "no pins yet: relay and endpoint keys are pinned on first use, in %s and %s\n",
                     crypto::default_known_relays_path().c_str(), crypto::default_known_endpoints_path().c_str());
    return 0;
}

int run_known_rm(const KnownArgs& args) {
    std::vector<std::string> names{args.name};
    if (!io::parse_host_port(args.name))  // a relay given without its port
        if (const auto hp = io::parse_host_port_or(args.name, io::kDefaultRelayPort)) names.push_back(hp->str());
    std::size_t removed = 0;
    for (const auto& path : {crypto::default_known_relays_path(), crypto::default_known_endpoints_path()}) {
        const crypto::KnownPeers known(path);
        // An endpoint's pins are scoped by relay: "gpu@vps:7443" is one of gpu's.
        for (const auto& pin : known.list())
            if (pin.name.starts_with(args.name + "@") && std::find(names.begin(), names.end(), pin.name) == names.end())
                names.push_back(pin.name);
        for (const auto& name : names) {
            const auto n = known.remove(name);
            if (n > 0) std::printf("removed %zu pin(s) of %s from %s\n", n, name.c_str(), path.c_str());
            removed += n;
        }
    }
    if (const auto config = client_config(args); !config.empty()) {
        const auto file = load_client_file(config);
        if (file.endpoint_keys.contains(args.name) || (file.relay_key && file.relay == args.name))
            std::fprintf(stderr, "%s is also pinned in %s: edit that file to change it\n", args.name.c_str(),
                         config.c_str());
    }
    if (removed == 0) {
        std::fprintf(stderr, "burrow: no pin of '%s' in %s or %s (burrow known lists them)\n", args.name.c_str(),
                     crypto::default_known_relays_path().c_str(), crypto::default_known_endpoints_path().c_str());
        return 1;
    }
    std::printf("the next connection trusts the key it is shown and pins it again\n");
    return 0;
}

}  // namespace burrow::app
