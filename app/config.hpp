#pragma once
// TOML configuration files (deploy/examples/ has a commented example of each).
// Unknown keys and wrong types are errors that name the file and line.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace burrow::app {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct RelayFile {
    std::optional<std::string> listen;
};

struct EndpointFile {
    std::optional<std::string> name;
    std::optional<std::string> relay;
    std::map<std::string, std::string> services;  // name -> "host:port"
};

struct ClientFile {
    std::optional<std::string> relay;
    std::vector<std::string> forward;  // "-L" specs
};

RelayFile load_relay_file(const std::string& path);
EndpointFile load_endpoint_file(const std::string& path);
ClientFile load_client_file(const std::string& path);

}  // namespace burrow::app
