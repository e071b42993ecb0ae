#pragma once
// One function per subcommand; each returns the process exit status.
#include <string>
#include <vector>

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
    std::string control_socket;
};
struct ClientArgs {
    std::string config;
    std::string relay;
    std::string relay_key;
    std::string key;
};
struct KeyArgs {
    std::string file;
    std::string comment;
    bool fingerprint = false;
};

int run_relay(const RelayArgs& args);
int run_endpoint(const EndpointArgs& args);
int run_forward(const ClientArgs& args, const std::vector<std::string>& specs);
int run_connect(const ClientArgs& args, const std::string& endpoint, const std::string& service);
int run_list(const ClientArgs& args);
int run_keygen(const KeyArgs& args);
int run_id(const KeyArgs& args);

// Thrown for mistakes on the command line (exit status 2).
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace burrow::app
