#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "app/cli.hpp"
#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/control.hpp"
#include "app/endpoint_clients.hpp"
#include "app/status.hpp"
#include "app/version.hpp"
#include "crypto/record.hpp"

namespace {

constexpr const char* kFiles = R"(Files and environment:
  BURROW_HOME      the directory of burrow's files; else $XDG_CONFIG_HOME/burrow, else ~/.config/burrow.
                   It holds id_ed25519 (this machine's key, 0600) and id_ed25519.pub, known_relays and
                   known_endpoints (keys trusted on first use: see burrow known), client.toml (read by
                   forward, connect and ls when no -c is given), relay.sock / endpoint.sock. It must be
                   yours and writable by you alone (made 0700 if others may read it).
  BURROW_RELAY     the relay for forward, connect and ls when neither --relay nor client.toml names one.
  --relay HOST     means HOST:7443.
)";

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("burrow");
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(level));
    if (const auto per_key = burrow::crypto::records_per_key(); per_key != burrow::crypto::kRecordsPerKey)
        spdlog::warn("test setting BURROW_TEST_RECORDS_PER_KEY: record keys are replaced every {} records "
                     "(peers must use the same value)",
                     per_key);
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

std::string command_list(const CLI::App& cli) {
    std::string out = "commands:\n";
    for (const auto* sub : cli.get_subcommands([](const CLI::App*) { return true; })) {
        std::string name = sub->get_name();
        name.resize(std::max<std::size_t>(name.size(), 10), ' ');
        out += "  " + name + "  " + sub->get_description() + "\n";
    }
    return out + "run 'burrow help COMMAND' (or burrow COMMAND --help) for its options\n";
}

// The first word on the line that is not an option or an option's value.
std::optional<std::size_t> command_index(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--log-level") {
            ++i;
            continue;
        }
        if (!arg.starts_with("-")) return static_cast<std::size_t>(i);
    }
    return std::nullopt;
}

}  // namespace

namespace burrow::app {

int main(int argc, char** argv, std::shared_ptr<relay::SpliceObserver> splices) {
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App cli{"burrow: reach the services of a machine behind NAT through a relay you run", "burrow"};
    cli.set_version_flag("--version", version_line());
    cli.require_subcommand(1);
    cli.fallthrough();  // global options anywhere on the line
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
    endpoint_cmd->add_option("--relay", endpoint.relay, "relay address, HOST[:PORT] (port 7443 if not given)");
    endpoint_cmd->add_option("--relay-key", endpoint.relay_key, "the relay's public key (else trusted on first use)");
    endpoint_cmd->add_option("--key", endpoint.key, "identity file (default ~/.config/burrow/id_ed25519)");
    endpoint_cmd->add_option("--name", endpoint.name, "the name clients reach this endpoint by");
    endpoint_cmd->add_option("--service", endpoint.services,
                             "a service to publish, NAME=HOST:PORT[,e2e=off] (repeatable; e2e=off for services "
                             "that encrypt themselves, like ssh)");
    endpoint_cmd->add_option(
        "--control-socket", endpoint.control_socket,
        "the control socket `burrow endpoint reload` uses (default ~/.config/burrow/endpoint.sock)");
    endpoint_cmd->add_option("--allow", endpoint.allow,
                             "a client key that may reach every service (repeatable; see also burrow endpoint allow)");
    endpoint_cmd->add_flag("--upnp", endpoint.upnp,
                           "have the LAN's router map a public port to the direct listener (UPnP or NAT-PMP), so that "
                           "clients can skip the relay");
    endpoint_cmd->add_option("--direct-listen", endpoint.direct_listen,
                             "address of the direct listener, HOST:PORT (default 0.0.0.0:7444 with --upnp or --advertise)");
    endpoint_cmd->add_option("--advertise", endpoint.advertise,
                             "HOST:PORT where clients reach the direct listener, e.g. a port you forwarded by hand "
                             "(repeatable)");
    ReloadArgs endpoint_reload;
    auto* endpoint_reload_cmd = add_reload_command(*endpoint_cmd, "endpoint", endpoint_reload);
    AllowArgs allow;
    auto* endpoint_allow_cmd = endpoint_cmd->add_subcommand(
        "allow", "let a client reach this endpoint's services (all, or those given with --service)");
    endpoint_allow_cmd->add_option("key", allow.key, "the client's key, as its `burrow id` prints it")->required();
    endpoint_allow_cmd->add_option("--service", allow.services, "a service it may reach (repeatable; default: all)");
    endpoint_allow_cmd->add_option("-c,--config", allow.config,
                                   "the endpoint's config file, to find allowed_clients in");

    WakeArgs wake;
    auto* wake_cmd = cli.add_subcommand(
        "wake", "wake a machine: by MAC from here, like wakeonlan, or an endpoint by name through a LAN peer");
    wake_cmd->add_option("target", wake.target, "a MAC address (aa:bb:cc:dd:ee:ff) or an endpoint's name")->required();
    wake_cmd->add_option("--broadcast", wake.broadcast, "with a MAC: where to send it (default 255.255.255.255)");
    wake_cmd->add_option("--port", wake.port, "with a MAC: UDP port (default 9)");
    wake_cmd->add_option("--password", wake.password,
                         "with a MAC: SecureOn password, six bytes like a MAC or four as dotted decimals");
    std::string wake_wait;
    auto* wake_wait_opt =
        wake_cmd->add_option("--wait", wake_wait, "with a name: wait until it is online, SECONDS at most (default 120)")
            ->expected(0, 1);

    ClientArgs client;
    std::vector<std::string> forwards;
    auto* forward_cmd = cli.add_subcommand("forward", "forward local ports to endpoint services, like ssh -L");
    forward_cmd->add_option("-L", forwards, "[bind:]port:endpoint:service or [bind:]port:endpoint/service (repeatable)");
    forward_cmd->add_flag("--no-config-forwards,--clear-all-forwardings", client.no_config_forwards,
                          "leave out the forwards listed in the client config file");
    std::string endpoint_name, service_name;
    auto* connect_cmd = cli.add_subcommand("connect", "carry stdin/stdout to a service (ssh ProxyCommand)");
    connect_cmd->add_option("endpoint", endpoint_name, "endpoint name, or endpoint/service")->required();
    connect_cmd->add_option("service", service_name, "service name (if not given as endpoint/service)");
    auto* ls_cmd = cli.add_subcommand("ls", "list the endpoints online and their services");
    bool ls_long = false, ls_json = false;
    ls_cmd->add_flag("-l,--long", ls_long,
                     "also offline endpoints: online since or last seen, public address, who can wake them");
    ls_cmd->add_flag("--json", ls_json, "the same as -l, as JSON for scripts");
    connect_cmd->add_flag("--wake", client.wake, "wake the endpoint first (through a LAN peer) and wait for it");
    std::vector<std::string> ssh_names;
    std::string ssh_user;
    bool ssh_wake = false;
    auto* ssh_config_cmd =
        cli.add_subcommand("ssh-config", "print ssh Host blocks for the endpoints that publish ssh (for ~/.ssh/config)");
    ssh_config_cmd->add_option("endpoint", ssh_names, "only these endpoints (default: every one you may ssh to)");
    ssh_config_cmd->add_option("--user", ssh_user, "the User line of each block");
    ssh_config_cmd->add_flag("--wake", ssh_wake, "wake the endpoint first (burrow connect --wake)");
    for (auto* cmd : {forward_cmd, connect_cmd, ls_cmd, wake_cmd, ssh_config_cmd}) {
        cmd->add_option("-c,--config", client.config, "client config file (default ~/.config/burrow/client.toml)");
        cmd->add_option("--relay", client.relay, "relay address, HOST[:PORT] (port 7443 if not given; or BURROW_RELAY)");
        cmd->add_option("--relay-key", client.relay_key, "the relay's public key (else trusted on first use)");
        cmd->add_option("--key", client.key, "identity file (default ~/.config/burrow/id_ed25519)");
    }
    for (auto* cmd : {forward_cmd, connect_cmd})
        cmd->add_flag("--strict-endpoint-keys", client.strict_endpoint_keys,
                      "refuse endpoints whose key is pinned neither in the config nor in known_endpoints");

    StatusArgs status;
    auto* status_cmd = cli.add_subcommand(
        "status", "what the relay and the forwards running here say: sessions, endpoints, forwards, streams, bytes");
    auto* status_config = status_cmd->add_option("-c,--config", status.config, "the relay's config file, to find control_socket in (then only the relay)");
    status_cmd->add_option("--control-socket", status.control_socket,
                           "the relay's control socket (default ~/.config/burrow/relay.sock)")
        ->excludes(status_config);
    status_cmd->add_flag("--json", status.json, "as JSON for scripts");

    KeyArgs keys;
    auto* keygen_cmd = cli.add_subcommand("keygen", "make a new identity (Ed25519 key pair)");
    keygen_cmd->add_option("-f,--file", keys.file, "where to write it (default ~/.config/burrow/id_ed25519)");
    keygen_cmd->add_option("-C,--comment", keys.comment, "comment for the public key line");
    keygen_cmd->add_flag("--force", keys.force, "replace an existing identity (says which key it replaces)");
    auto* id_cmd = cli.add_subcommand("id", "print this identity's public key (to paste into a relay config)");
    id_cmd->add_option("-f,--file", keys.file, "identity file (default ~/.config/burrow/id_ed25519)");
    id_cmd->add_flag("--fingerprint", keys.fingerprint, "print the short fingerprint instead");

    KnownArgs known;
    auto* known_cmd = cli.add_subcommand("known", "list the relay and endpoint keys this machine trusts (pins)");
    known_cmd->add_option("-c,--config", known.config, "client config file (default ~/.config/burrow/client.toml)");
    known_cmd->require_subcommand(0, 1);
    auto* known_rm_cmd = known_cmd->add_subcommand("rm", "forget a pinned key, so that the next use trusts a new one");
    known_rm_cmd->add_option("name", known.name, "an endpoint name or a relay's HOST:PORT")->required();

    auto* help_cmd = cli.add_subcommand("help", "show the commands, or one command's options");
    std::vector<std::string> help_topic;
    help_cmd->add_option("command", help_topic, "the command to explain");
    help_cmd->require_subcommand(0, 0);
    cli.footer(kFiles);

    // Words CLI11 would only call "not expected": say which command is unknown and list them.
    if (const auto at = command_index(argc, argv)) {
        const std::string word = argv[*at];
        if (cli.get_subcommands([&](const CLI::App* s) { return s->check_name(word); }).empty()) {
            std::fprintf(stderr, "burrow: unknown command '%s'\n%s", word.c_str(), command_list(cli).c_str());
            return 2;
        }
    }
    try {
        cli.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return cli.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return cli.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return cli.exit(e);
    } catch (const CLI::RequiredError& e) {
        if (cli.get_subcommands().empty()) {
            std::fprintf(stderr, "burrow: a command is required\n%s", command_list(cli).c_str());
            return 2;
        }
        std::fprintf(stderr, "burrow: %s (see burrow help %s)\n", e.what(),
                     cli.get_subcommands().front()->get_name().c_str());
        return 2;
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "burrow: %s\n", e.what());
        return 2;
    }
    if (*help_cmd) {
        if (help_topic.empty()) {
            std::cout << cli.get_formatter()->make_help(&cli, "burrow", CLI::AppFormatMode::Normal)
                      << command_list(cli);
            return 0;
        }
        const CLI::App* topic = &cli;
        for (const auto& word : help_topic) {
            const auto found = topic->get_subcommands([&](const CLI::App* s) { return s->check_name(word); });
            if (found.empty()) {
                std::fprintf(stderr, "burrow: no command '%s' to explain\n%s", word.c_str(),
                             command_list(cli).c_str());
                return 2;
            }
            topic = found.front();
        }
        std::cout << topic->help();
        return 0;
    }
    setup_logging(log_level);
    try {
        if (*relay_reload_cmd) return run_reload("relay", relay_reload);
        if (*relay_cmd) return run_relay(relay, std::move(splices));
        if (*endpoint_reload_cmd) return run_reload("endpoint", endpoint_reload);
        if (*endpoint_allow_cmd) return run_endpoint_allow(allow);
        if (*endpoint_cmd) return run_endpoint(endpoint);
        if (*forward_cmd) return run_forward(client, forwards);
        if (*connect_cmd) return run_connect(client, endpoint_name, service_name);
        if (*ls_cmd) return run_list(client, ls_long, ls_json);
        if (*ssh_config_cmd) return run_ssh_config(client, ssh_names, ssh_user, ssh_wake);
        if (*status_cmd) return run_status(status);
        if (*keygen_cmd) return run_keygen(keys);
        if (*id_cmd) return run_id(keys);
        if (*wake_cmd) {
            if (*wake_wait_opt) wake.wait = wake_wait;
            return run_wake(client, wake);
        }
        if (*known_rm_cmd) return run_known_rm(known);
        if (*known_cmd) return run_known(known);
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
