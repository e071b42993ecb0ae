// burrow: reach the services of a machine behind NAT through a relay you run.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "app/commands.hpp"
#include "app/config.hpp"

#ifndef BURROW_VERSION
#define BURROW_VERSION "0.0.0"
#endif

namespace {

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("burrow");
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace

int main(int argc, char** argv) {
    using namespace burrow::app;
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App cli{"burrow: reach the services of a machine behind NAT through a relay you run"};
    cli.set_version_flag("--version", BURROW_VERSION);
    cli.require_subcommand(1);
    std::string log_level = "info";
    cli.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

    RelayArgs relay;
    auto* relay_cmd = cli.add_subcommand("relay", "run the relay (on the VPS)");
    relay_cmd->add_option("-c,--config", relay.config, "relay config file (TOML)");
    relay_cmd->add_option("--listen", relay.listen, "address to listen on, HOST:PORT (default 127.0.0.1:7443)");

    EndpointArgs endpoint;
    auto* endpoint_cmd = cli.add_subcommand("endpoint", "run an endpoint (on the machine with the services)");
    endpoint_cmd->add_option("-c,--config", endpoint.config, "endpoint config file (TOML)");
    endpoint_cmd->add_option("--relay", endpoint.relay, "relay address, HOST:PORT");
    endpoint_cmd->add_option("--name", endpoint.name, "the name clients reach this endpoint by");
    endpoint_cmd->add_option("--service", endpoint.services, "a service to publish, NAME=HOST:PORT (repeatable)");

    ClientArgs client;
    std::vector<std::string> forwards;
    auto* forward_cmd = cli.add_subcommand("forward", "forward local ports to endpoint services, like ssh -L");
    forward_cmd->add_option("-L", forwards, "[bind:]port:endpoint:service (repeatable)");
    std::string endpoint_name, service_name;
    auto* connect_cmd = cli.add_subcommand("connect", "carry stdin/stdout to a service (ssh ProxyCommand)");
    connect_cmd->add_option("endpoint", endpoint_name, "endpoint name")->required();
    connect_cmd->add_option("service", service_name, "service name")->required();
    auto* ls_cmd = cli.add_subcommand("ls", "list the endpoints online and their services");
    for (auto* cmd : {forward_cmd, connect_cmd, ls_cmd}) {
        cmd->add_option("-c,--config", client.config, "client config file (default ~/.config/burrow/client.toml)");
        cmd->add_option("--relay", client.relay, "relay address, HOST:PORT (or BURROW_RELAY)");
    }

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = cli.exit(e);
        return code == 0 ? 0 : 2;
    }
    setup_logging(log_level);
    try {
        if (*relay_cmd) return run_relay(relay);
        if (*endpoint_cmd) return run_endpoint(endpoint);
        if (*forward_cmd) return run_forward(client, forwards);
        if (*connect_cmd) return run_connect(client, endpoint_name, service_name);
        if (*ls_cmd) return run_list(client);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "burrow: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "burrow: %s\n", e.what());
        return 1;
    }
    return 0;
}
