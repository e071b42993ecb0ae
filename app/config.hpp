#pragma once
// TOML configuration files (deploy/examples/ has a commented example of each).
// Unknown keys and wrong types are errors that name the file and line.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace burrow::app {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct EndpointEntry {      // [[endpoints]] in the relay config
    std::string name;
    std::string key;        // public key text
    std::string where;      // "file:line", for errors found later
    std::optional<std::string> wake_mac;  // wake = { mac = "...", via = [...] }
    std::vector<std::string> wake_via;
};
struct ClientEntry {        // [[clients]] in the relay config
    std::string name;
    std::string key;
    std::vector<std::string> allow;
    std::string where;
    std::vector<std::string> wake;  // endpoints it may wake besides those it may open all of
};

struct ExposeEntry {        // [[expose]] in the relay config
    std::int64_t port = 0;
    std::string target;     // "endpoint/service"
    std::vector<std::string> from;  // CIDRs; empty: everyone
    std::optional<std::string> bind;
    std::string where;
};

struct AdminEntry {         // [admin] in the relay config
    std::string listen;     // "127.0.0.1:7444"
    std::optional<std::string> token;
    std::optional<std::string> token_file;  // resolved against the config's folder
    bool allow_remote = false;
    std::string where;
};

struct RelayFile {
    std::optional<std::string> listen;
    std::optional<std::string> key_file;        // resolved against the config's folder
    std::optional<std::string> control_socket;  // likewise
    std::optional<std::string> state_file;      // likewise
    std::vector<EndpointEntry> endpoints;
    std::vector<ClientEntry> clients;
    std::vector<ExposeEntry> expose;
    std::map<std::string, std::int64_t> limits;  // [limits], validated by the caller
    std::optional<AdminEntry> admin;
    std::optional<std::string> tcp_congestion;  // for every session's TCP connection ("bbr")
};

struct ServiceEntry {
    std::string address;
    bool e2e = true;
};

struct AllowedClientEntry {  // [[clients]] in the endpoint config
    std::string key;
    std::string name;
    std::vector<std::string> services;  // empty or ["*"]: all
    std::string where;
};

struct EndpointFile {
    std::optional<std::string> name;
    std::optional<std::string> relay;
    std::optional<std::string> relay_key;
    std::optional<std::string> key_file;
    std::optional<std::string> control_socket;
    std::optional<std::string> allowed_clients;  // the file `burrow endpoint allow` writes; resolved like key
    std::map<std::string, ServiceEntry> services;
    std::vector<AllowedClientEntry> clients;
    bool upnp = false;                            // map a public port to the direct listener
    std::optional<std::string> direct_listen;     // "host:port" of the direct listener
    std::vector<std::string> direct_advertise;    // candidates of the user's own
    std::optional<std::int64_t> max_streams_per_client;  // streams one client key may hold open here
    std::optional<std::string> tcp_congestion;            // for the relay's and direct sessions' TCP connections
};

struct ClientFile {
    std::optional<std::string> relay;
    std::optional<std::string> relay_key;
    std::optional<std::string> key_file;
    std::map<std::string, std::string> endpoint_keys;  // [endpoints] name = "key text"
    std::vector<std::string> forward;                  // "-L" specs
    bool strict_endpoint_keys = false;                 // refuse endpoints not pinned in [endpoints] or known_endpoints
    std::optional<std::string> tcp_congestion;         // for the session's TCP connections
};

RelayFile load_relay_file(const std::string& path);
EndpointFile load_endpoint_file(const std::string& path);
ClientFile load_client_file(const std::string& path);

// The keys [limits] may hold, with what each means (for errors and docs).
const std::map<std::string, std::string>& relay_limit_keys();

}  // namespace burrow::app
