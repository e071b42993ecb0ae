#pragma once
// The endpoint's own list of the clients that may reach its services: from
// [[clients]] in endpoint.toml, the allowed-clients file (allowed_clients in
// burrow's folder, which `burrow endpoint allow` appends to) and --allow.
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "endpoint/client_list.hpp"

namespace burrow::app {

// The allowed-clients file: `allowed_clients` in the config, else in burrow's folder.
std::string allowed_clients_path(const EndpointFile& file);

// Every source together; throws ConfigError naming the file and line of a bad entry.
endpoint::ClientList load_endpoint_clients(const EndpointArgs& args, const EndpointFile& file);

// Logs who may reach what, or, with no one on the list, how to add someone.
void log_endpoint_clients(const endpoint::ClientList& clients, const std::string& file);

struct AllowArgs {
    std::string config;               // endpoint config, to find allowed_clients in
    std::vector<std::string> key;     // the words of the key line (`burrow id` of the client)
    std::vector<std::string> services;
};

// `burrow endpoint allow KEY [--service S]...`: appends the client to the allowed-clients file.
int run_endpoint_allow(const AllowArgs& args);

}  // namespace burrow::app
