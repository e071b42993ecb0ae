#pragma once
// One function per subcommand; each returns the process exit status.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace burrow::relay {
class SpliceObserver;
}

namespace burrow::app {

struct RelayArgs {
    std::string config;
    std::string listen;
    std::string key;
    std::string control_socket;
};
struct EndpointArgs {
    std::string config;
    std::string relay;
    std::string relay_key;
    std::string key;
    std::string name;
    std::vector<std::string> services;  // NAME=HOST:PORT
    std::vector<std::string> allow;     // client keys that may reach every service
    std::string control_socket;
    bool upnp = false;                      // --upnp
    std::string direct_listen;              // --direct-listen
    std::vector<std::string> advertise;     // --advertise
};
struct ClientArgs {
    std::string config;
    std::string relay;
    std::string relay_key;
    std::string key;
    bool no_config_forwards = false;
    bool wake = false;  // connect --wake
    bool strict_endpoint_keys = false;
};
struct KeyArgs {
    std::string file;
    std::string comment;
    bool fingerprint = false;
    bool force = false;
};
struct WakeArgs {
    std::string target;  // a MAC address or an endpoint name
    std::optional<std::string> wait;  // --wait [SECONDS]
    std::string broadcast = "255.255.255.255";
    std::uint16_t port = 9;
    std::string password;  // SecureOn
};
struct KnownArgs {
    std::string config;  // client config, whose pins are listed too
    std::string name;    // for `known rm`
};

// `splices`, if given, watches the relay's splices (a test's seam).
int run_relay(const RelayArgs& args, std::shared_ptr<relay::SpliceObserver> splices = nullptr);
int run_endpoint(const EndpointArgs& args);
int run_forward(const ClientArgs& args, const std::vector<std::string>& specs);
int run_connect(const ClientArgs& args, const std::string& endpoint, const std::string& service);
int run_list(const ClientArgs& args, bool long_form, bool json);
// `burrow ssh-config [ENDPOINT...]`: ssh Host blocks for the endpoints that publish ssh.
int run_ssh_config(const ClientArgs& args, const std::vector<std::string>& names, const std::string& user, bool wake);
int run_keygen(const KeyArgs& args);
int run_id(const KeyArgs& args);
int run_known(const KnownArgs& args);
int run_wake(const ClientArgs& client, const WakeArgs& args);
// Has the relay wake `endpoint`; with `wait`, until it is online (exit 1 if it does not come).
int run_wake_endpoint(const ClientArgs& args, const std::string& endpoint, std::optional<std::chrono::seconds> wait);
int run_known_rm(const KnownArgs& args);

// Thrown for mistakes on the command line (exit status 2).
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace burrow::app
