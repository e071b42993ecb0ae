#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "app/cli.hpp"
#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/control.hpp"
#include "app/version.hpp"

namespace {

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("burrow");
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(level));
}

// `burrow ROLE reload`: the running process reloads its config file and says how it went.
CLI::App* add_reload_command(CLI::App& parent, const std::string& role, burrow::app::ReloadArgs& args) {
    auto* cmd = parent.add_subcommand(
        "reload", "make the running " + role + " reload its config file; says whether it worked (exit 0) or why not");
    auto* config =
        cmd->add_option("-c,--config", args.config, "the " + role + "'s config file, to find control_socket in");
    cmd->add_option("--control-socket", args.control_socket,
                    "the " + role + "'s control socket (default ~/.config/burrow/" + role + ".sock)")
        ->excludes(config);
    return cmd;
}

}  // namespace

namespace burrow::app {

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App cli{"burrow: reach the services of a machine behind NAT through a relay you run"};
    cli.set_version_flag("--version", version_line());
    cli.require_subcommand(1);
    std::string log_level = "info";
    cli.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

    RelayArgs relay;
    auto* relay_cmd = cli.add_subcommand("relay", "run the relay (on the VPS)");
    relay_cmd->add_option("-c,--config", relay.config, "relay config file (TOML)");
    relay_cmd->add_option("--listen", relay.listen, "address to listen on, HOST:PORT (default 127.0.0.1:7443)");
    relay_cmd->add_option("--key", relay.key, "identity file (default ~/.config/burrow/id_ed25519)");
    relay_cmd->add_option("--control-socket", relay.control_socket,
                          "the control socket `burrow relay reload` uses (default ~/.config/burrow/relay.sock)");
    ReloadArgs relay_reload;
    auto* relay_reload_cmd = add_reload_command(*relay_cmd, "relay", relay_reload);

    EndpointArgs endpoint;
    auto* endpoint_cmd = cli.add_subcommand("endpoint", "run an endpoint (on the machine with the services)");
    endpoint_cmd->add_option("-c,--config", endpoint.config, "endpoint config file (TOML)");
    endpoint_cmd->add_option("--relay", endpoint.relay, "relay address, HOST:PORT");
    endpoint_cmd->add_option("--relay-key", endpoint.relay_key, "the relay's public key (else trusted on first use)");
    endpoint_cmd->add_option("--key", endpoint.key, "identity file (default ~/.config/burrow/id_ed25519)");
    endpoint_cmd->add_option("--name", endpoint.name, "the name clients reach this endpoint by");
    endpoint_cmd->add_option("--service", endpoint.services, "a service to publish, NAME=HOST:PORT (repeatable)");
    endpoint_cmd->add_option(
        "--control-socket", endpoint.control_socket,
        "the control socket `burrow endpoint reload` uses (default ~/.config/burrow/endpoint.sock)");
    ReloadArgs endpoint_reload;
    auto* endpoint_reload_cmd = add_reload_command(*endpoint_cmd, "endpoint", endpoint_reload);

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
        cmd->add_option("--relay-key", client.relay_key, "the relay's public key (else trusted on first use)");
        cmd->add_option("--key", client.key, "identity file (default ~/.config/burrow/id_ed25519)");
    }

    KeyArgs keys;
    auto* keygen_cmd = cli.add_subcommand("keygen", "make a new identity (Ed25519 key pair)");
    keygen_cmd->add_option("-f,--file", keys.file, "where to write it (default ~/.config/burrow/id_ed25519)");
    keygen_cmd->add_option("-C,--comment", keys.comment, "comment for the public key line");
    auto* id_cmd = cli.add_subcommand("id", "print this identity's public key (to paste into a relay config)");
    id_cmd->add_option("-f,--file", keys.file, "identity file (default ~/.config/burrow/id_ed25519)");
    id_cmd->add_flag("--fingerprint", keys.fingerprint, "print the short fingerprint instead");

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = cli.exit(e);
        return code == 0 ? 0 : 2;
    }
    setup_logging(log_level);
    try {
        if (*relay_reload_cmd) return run_reload("relay", relay_reload);
        if (*relay_cmd) return run_relay(relay);
        if (*endpoint_reload_cmd) return run_reload("endpoint", endpoint_reload);
        if (*endpoint_cmd) return run_endpoint(endpoint);
        if (*forward_cmd) return run_forward(client, forwards);
        if (*connect_cmd) return run_connect(client, endpoint_name, service_name);
        if (*ls_cmd) return run_list(client);
        if (*keygen_cmd) return run_keygen(keys);
        if (*id_cmd) return run_id(keys);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "burrow: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "burrow: %s\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace burrow::app
