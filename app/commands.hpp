#pragma once
// One function per subcommand; each returns the process exit status.
#include <string>
#include <vector>

namespace burrow::app {

struct RelayArgs {
    std::string config;
    std::string listen;
};
struct EndpointArgs {
    std::string config;
    std::string relay;
    std::string name;
    std::vector<std::string> services;  // NAME=HOST:PORT
};
struct ClientArgs {
    std::string config;
    std::string relay;
};

int run_relay(const RelayArgs& args);
int run_endpoint(const EndpointArgs& args);
int run_forward(const ClientArgs& args, const std::vector<std::string>& specs);
int run_connect(const ClientArgs& args, const std::string& endpoint, const std::string& service);
int run_list(const ClientArgs& args);

// Thrown for mistakes on the command line (exit status 2).
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace burrow::app
