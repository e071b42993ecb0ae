#include "app/commands.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "app/config.hpp"
#include "app/control.hpp"
#include "app/endpoint_clients.hpp"
#include "app/keys.hpp"
#include "app/relay_admin.hpp"
#include "app/status.hpp"
#include "app/ssh_config.hpp"
#include "app/service_notify.hpp"
#include "client/client.hpp"
#include "crypto/known_peers.hpp"
#include "endpoint/endpoint.hpp"
#include "io/asio.hpp"
#include "io/tls_stream.hpp"
#include "relay/relay.hpp"
#include "relay/status_json.hpp"

namespace burrow::app {
namespace {

void say(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

io::HostPort address(const std::string& text, const std::string& what, bool allow_zero = false) {
    auto hp = io::parse_host_port(text, allow_zero);
    if (!hp) throw UsageError(what + " '" + text + "' is not HOST:PORT");
    return *hp;
}

constexpr std::uint16_t kDefaultDirectPort = 7444;

io::HostPort relay_address(const std::string& text) {
    auto hp = io::parse_host_port_or(text, io::kDefaultRelayPort);
    if (!hp) throw UsageError("relay '" + text + "' is not HOST or HOST:PORT");
    return *hp;
}

// How a role stops: `drain` ends new work, `idle` says when the old is done,
// `stop` ends everything at once, and `finished` says when its goodbyes
// (GOAWAY) are out, so that the process may exit.
struct Shutdown {
    std::function<void()> drain;
    std::function<bool()> idle;
    std::function<void()> stop;
    std::function<bool()> finished = [] { return true; };
};

constexpr auto kDrainDeadline = std::chrono::seconds(30);
constexpr auto kGoodbyeDeadline = std::chrono::seconds(1);  // for the GOAWAYs to leave after stop()

// Runs the io_context until the role is stopped. The first SIGTERM/SIGINT
// drains (open streams may finish, for kDrainDeadline at most); a second one
// stops at once. SIGHUP calls `on_reload` if given. While it runs,
// `*stop_now`, if given, stops at once as a second signal does: for a role
// that cannot go on.
void run_until_signal(io::asio::io_context& ctx, Shutdown shutdown, std::function<void()> on_reload = {},
                      std::function<void()>* stop_now = nullptr) {
    io::asio::signal_set stop(ctx, SIGINT, SIGTERM);
    io::asio::steady_timer poll(ctx);
    const auto deadline_at = std::make_shared<std::chrono::steady_clock::time_point>();
    std::function<void()> await_goodbyes = [&] {
        if (shutdown.finished() || std::chrono::steady_clock::now() >= *deadline_at) {
            ctx.stop();
            return;
        }
        poll.expires_after(std::chrono::milliseconds(10));
        poll.async_wait([&](const io::error_code& ec) {
            if (!ec) await_goodbyes();
        });
    };
    const auto stop_now_at_once = [&] {
        shutdown.stop();
        *deadline_at = std::chrono::steady_clock::now() + kGoodbyeDeadline;
        await_goodbyes();
    };
    std::function<void()> check = [&] {
        if (shutdown.idle() || std::chrono::steady_clock::now() >= *deadline_at) {
            if (!shutdown.idle()) spdlog::warn("drain deadline reached: closing the streams still open");
            stop_now_at_once();
            return;
        }
        poll.expires_after(std::chrono::milliseconds(100));
        poll.async_wait([&](const io::error_code& ec) {
            if (!ec) check();
        });
    };
    stop.async_wait([&](const io::error_code& ec, int sig) {
        if (ec) return;
        spdlog::info("signal {}: draining (send it again to stop at once)", sig);
        notify_service_manager("STOPPING=1");
        shutdown.drain();
        *deadline_at = std::chrono::steady_clock::now() + kDrainDeadline;
        check();
        stop.async_wait([&](const io::error_code& ec2, int) {
            if (ec2) return;
            spdlog::info("second signal: stopping now");
            poll.cancel();
            stop_now_at_once();
        });
    });
    io::asio::signal_set hup(ctx, SIGHUP);
    std::function<void()> wait_hup = [&] {
        hup.async_wait([&](const io::error_code& ec, int) {
            if (ec) return;
            if (on_reload) on_reload();
            wait_hup();
        });
    };
    wait_hup();
    if (stop_now) *stop_now = stop_now_at_once;
    ctx.run();
    if (stop_now) *stop_now = nullptr;
}

std::string default_client_config() {
    const auto path = std::filesystem::path(crypto::config_dir()) / "client.toml";
    return std::filesystem::exists(path) ? path.string() : std::string{};
}

io::RelayTrust relay_trust(const std::string& flag, const std::optional<std::string>& from_file,
                           const std::string& file) {
    io::RelayTrust trust;
    trust.known_relays = crypto::default_known_relays_path();
    if (!flag.empty()) {
        trust.pinned = parse_public_key(flag, "--relay-key");
        trust.pinned_by = "--relay-key";
    } else if (from_file) {
        trust.pinned = parse_public_key(*from_file, file + ": relay_key");
        trust.pinned_by = "relay_key in " + file;
    }
    return trust;
}

// The client config's `forward` entries, for `burrow forward`.
struct ConfigForwards {
    std::string file;
    std::vector<std::string> specs;
};

client::ClientOptions client_options(const ClientArgs& args, ConfigForwards* forwards = nullptr) {
    ClientFile file;
    const std::string path = args.config.empty() ? default_client_config() : args.config;
    if (!path.empty()) file = load_client_file(path);
    if (forwards) *forwards = ConfigForwards{path, file.forward};
    std::string relay = !args.relay.empty() ? args.relay : file.relay.value_or("");
    if (relay.empty())
        if (const char* env = std::getenv("BURROW_RELAY")) relay = env;
    if (relay.empty()) throw UsageError("no relay given: use --relay HOST[:PORT], BURROW_RELAY or a client config");
    client::ClientOptions options;
    options.relay = relay_address(relay);
    options.trust = relay_trust(args.relay_key, file.relay_key, path);
    options.identity = std::make_shared<crypto::Identity>(
        load_or_create_identity(!args.key.empty() ? args.key : file.key_file.value_or("")));
    options.tls = std::make_shared<io::TlsContext>(*options.identity, false, file.tcp_congestion.value_or(""));
    for (const auto& [name, text] : file.endpoint_keys)
        options.endpoint_keys[name] = parse_public_key(text, path + ": [endpoints] " + name);
    options.known_endpoints = crypto::default_known_endpoints_path();
    options.strict_endpoint_keys = args.strict_endpoint_keys || file.strict_endpoint_keys;
    return options;
}

// Runs one coroutine to its end; rethrows what it threw.
template <class T>
T run_to_end(io::awaitable<T> task) {
    io::asio::io_context ctx;
    std::exception_ptr failure;
    std::optional<T> result;
    io::asio::co_spawn(ctx, std::move(task), [&](std::exception_ptr e, T value) {
        failure = e;
        if (!e) result = std::move(value);
    });
    ctx.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*result);
}

struct RelaySetup {
    relay::RelayOptions options;
    std::string key_file;
    std::optional<std::string> control_socket;  // from the config file
    std::optional<relay::AdminOptions> admin;   // [admin]
};

RelaySetup relay_setup(const RelayArgs& args) {
    RelaySetup setup;
    auto& options = setup.options;
    std::string listen = "127.0.0.1:7443";
    RelayFile file;
    if (!args.config.empty()) file = load_relay_file(args.config);
    if (file.listen) listen = *file.listen;
    if (!args.listen.empty()) listen = args.listen;
    options.listen = address(listen, "listen address", true);
    setup.key_file = !args.key.empty() ? args.key : file.key_file.value_or("");
    setup.control_socket = file.control_socket;
    if (file.admin) setup.admin = admin_options(*file.admin);
    // Beside the keys and pins, which stay writable where the config may not be (systemd's ProtectSystem).
    setup.options.state_file = file.state_file.value_or(crypto::config_dir() + "/relay.state");
    setup.options.tcp_congestion = file.tcp_congestion.value_or("");
    std::vector<relay::EndpointGrant> endpoints;
    for (const auto& e : file.endpoints) {
        if (!proto::is_valid_name(e.name)) throw ConfigError(e.where + ": endpoint name '" + e.name + "' is not valid");
        endpoints.push_back({e.name, parse_public_key(e.key, e.where)});
        if (e.wake_mac || !e.wake_via.empty()) {
            relay::WakeConfig wake;
            if (e.wake_mac && !(wake.mac = proto::parse_mac(*e.wake_mac)))
                throw ConfigError(e.where + ": wake mac '" + *e.wake_mac + "' is not a MAC address (" +
                                  std::string(proto::kMacForm) + ")");
            for (const auto& v : e.wake_via)
                if (!proto::is_valid_name(v)) throw ConfigError(e.where + ": wake via '" + v + "' is not an endpoint name");
            wake.via = e.wake_via;
            options.wake[e.name] = std::move(wake);
        }
        for (std::size_t i = 0; i + 1 < endpoints.size(); ++i)
            if (endpoints[i].name == e.name && endpoints[i].key != endpoints.back().key)
                throw ConfigError(e.where + ": endpoint name '" + e.name + "' is given to two keys");
    }
    std::vector<relay::ClientGrant> clients;
    for (const auto& c : file.clients) clients.push_back({c.name, parse_public_key(c.key, c.where), c.allow, c.wake});
    options.policy = relay::Policy(std::move(endpoints), std::move(clients));
    for (const auto& x : file.expose) {
        std::string name, service;
        if (!proto::parse_target(x.target, name, service))
            throw ConfigError(x.where + ": expose target '" + x.target + "' is not endpoint/service");
        relay::ExposeRule rule;
        rule.bind = io::HostPort{x.bind.value_or(options.listen.host), static_cast<std::uint16_t>(x.port)};
        rule.target = x.target;
        try {
            rule.from = relay::SourceFilter(x.from);
        } catch (const std::invalid_argument& e) {
            throw ConfigError(x.where + ": from: " + e.what());
        }
        for (const auto& other : options.expose)
            if (other.bind.str() == rule.bind.str())
                throw ConfigError(x.where + ": port " + rule.bind.str() + " is exposed twice");
        options.expose.push_back(std::move(rule));
    }
    const auto limit = [&](const char* key, auto fallback) {
        const auto it = file.limits.find(key);
        return it == file.limits.end() ? fallback : static_cast<decltype(fallback)>(it->second);
    };
    options.limits.handshake_timeout = std::chrono::milliseconds(limit("handshake_timeout_ms", 10000L));
    options.limits.first_bytes_timeout = std::chrono::milliseconds(limit("first_bytes_timeout_ms", 3000L));
    options.limits.max_unauthenticated = limit("max_unauthenticated", options.limits.max_unauthenticated);
    options.limits.max_unauthenticated_per_source =
        limit("max_unauthenticated_per_source", options.limits.max_unauthenticated_per_source);
    options.limits.reserved_for_known_sources =
        limit("reserved_for_known_sources", options.limits.reserved_for_known_sources);
    options.limits.max_sessions_per_key = limit("max_sessions_per_key", options.limits.max_sessions_per_key);
    options.limits.stream_opens_per_second = limit("stream_opens_per_second", options.limits.stream_opens_per_second);
    options.limits.stream_open_burst = 2 * options.limits.stream_opens_per_second;
    options.mux.max_streams = limit("max_streams_per_session", options.mux.max_streams);
    options.mux.max_frame_payload = limit("max_frame", options.mux.max_frame_payload);
    options.mux.stream_window = limit("stream_window", options.mux.stream_window);
    options.mux.session_window = limit("session_window", options.mux.session_window);
    options.mux.shared_stream_window = limit("shared_stream_window", options.mux.shared_stream_window);
    options.mux.max_stream_window = limit("max_stream_window", options.mux.max_stream_window);
    if (options.mux.max_frame_payload < 1024 || options.mux.max_frame_payload > 65536)
        throw ConfigError(args.config + ": [limits] max_frame must be within 1024..65536");
    if (options.mux.shared_stream_window < options.mux.max_frame_payload)
        throw ConfigError(args.config + ": [limits] shared_stream_window must be at least max_frame (" +
                          std::to_string(options.mux.max_frame_payload) + ")");
    return setup;
}

// Reads the config file again and hands it to the relay; the answer says
// what changed, or why nothing did (then the old configuration stays).
io::ControlReply reload_relay(const RelayArgs& args, relay::Relay& relay) {
    if (args.config.empty()) {
        const std::string why = "this relay was started without a config file (-c): nothing to reload";
        spdlog::warn("reload: {}", why);
        return {false, why};
    }
    try {
        auto options = relay_setup(args).options;
        const std::string granted = std::to_string(options.policy.endpoint_grants()) + " endpoint(s) and " +
                                    std::to_string(options.policy.client_grants()) + " client(s) granted";
        const std::size_t ports = options.expose.size();
        std::string expose_failure;
        const std::size_t closed = relay.reload(std::move(options), &expose_failure);
        return {true, "configuration reloaded from " + args.config + ": " + granted + ", " +
                          (ports ? std::to_string(ports) + " exposed port(s), " : "") + std::to_string(closed) +
                          " session(s) closed" + (expose_failure.empty() ? "" : "; but " + expose_failure)};
    } catch (const std::exception& e) {
        spdlog::error("reload refused, the old configuration stays in force: {}", e.what());
        return {false, std::string(e.what()) + " (the old configuration stays in force)"};
    }
}

}  // namespace

int run_relay(const RelayArgs& args, std::shared_ptr<relay::SpliceObserver> splices) {
    auto setup = relay_setup(args);
    setup.options.splice_observer = std::move(splices);
    auto identity = load_or_create_identity(setup.key_file);
    io::asio::io_context ctx;
    auto relay = std::make_shared<relay::Relay>(ctx.get_executor(), setup.options, identity);
    relay->start();
    ControlSocket control(ctx.get_executor(), "relay", args.control_socket, setup.control_socket,
                          {{"reload", [&] { return reload_relay(args, *relay); }},
                           {"status", [&] { return io::ControlReply{true, relay::status_json(relay->status())}; }}});
    std::unique_ptr<relay::AdminServer> admin;
    if (setup.admin) {
        admin = std::make_unique<relay::AdminServer>(ctx.get_executor(), *setup.admin, [&] { return relay->status(); });
        admin->start();
        if (setup.admin->allow_remote && !relay::is_loopback_host(setup.admin->listen.host))
            spdlog::warn("admin listener on {} is open to other hosts (allow_remote = true); its token guards it",
                         admin->bound().str());
        spdlog::info("admin listener on http://{}/ (status page, /metrics){}", admin->bound().str(),
                     setup.admin->token.empty() ? "" : ", token required");
    }
    say("listening on " + relay->bound().str() + " key " + relay->key().to_text());
    if (admin) say("admin on " + admin->bound().str());
    io::asio::post(ctx, [] { notify_service_manager("READY=1"); });  // once signals are handled too
    spdlog::info("relay listening on {} with key {}", relay->bound().str(), relay->key().fingerprint());
    run_until_signal(ctx,
                     Shutdown{[&] {
                                  control.release();  // for a relay started meanwhile
                                  relay->drain();
                              },
                              [&] { return relay->idle(); },
                              [&] {
                                  if (admin) admin->stop();
                                  relay->stop();
                              },
                              [&] { return relay->finished(); }},
                     [&] { reload_relay(args, *relay); });
    return 0;
}

namespace {

// "NAME=HOST:PORT[,e2e=on|off]", as --service takes it.
std::pair<std::string, endpoint::Service> parse_service_flag(const std::string& text) {
    const std::string usage = "--service '" + text + "': expected NAME=HOST:PORT or NAME=HOST:PORT,e2e=off";
    const auto eq = text.find('=');
    if (eq == std::string::npos || !proto::is_valid_name(text.substr(0, eq))) throw UsageError(usage);
    const std::string name = text.substr(0, eq);
    std::string rest = text.substr(eq + 1);
    endpoint::Service service;
    if (const auto comma = rest.find(','); comma != std::string::npos) {
        const std::string option = rest.substr(comma + 1);
        rest.resize(comma);
        if (option == "e2e=off" || option == "e2e=false") service.e2e = false;
        else if (option != "e2e=on" && option != "e2e=true") throw UsageError(usage);
    }
    const auto hp = io::parse_host_port(rest);
    if (!hp) throw UsageError(usage);
    service.address = *hp;
    return {name, service};
}

std::map<std::string, endpoint::Service> endpoint_services(const EndpointArgs& args, const EndpointFile& file) {
    std::map<std::string, endpoint::Service> services;
    for (const auto& [name, entry] : file.services) {
        if (!proto::is_valid_name(name)) throw ConfigError(args.config + ": service name '" + name + "' is not valid");
        auto hp = io::parse_host_port(entry.address);
        if (!hp) throw ConfigError(args.config + ": service '" + name + "': '" + entry.address + "' is not HOST:PORT");
        services[name] = endpoint::Service{*hp, entry.e2e};
    }
    for (const auto& s : args.services) {
        const auto [name, service] = parse_service_flag(s);
        services[name] = service;
    }
    if (services.size() > proto::kMaxServices)
        throw UsageError("at most " + std::to_string(proto::kMaxServices) + " services per endpoint");
    return services;
}

// Reads the services from the config file again; the answer names them, or
// says why they were refused (then the old ones stay).
io::ControlReply reload_endpoint(const EndpointArgs& args, endpoint::Endpoint& ep) {
    try {
        const EndpointFile file = args.config.empty() ? EndpointFile{} : load_endpoint_file(args.config);
        auto clients = load_endpoint_clients(args, file);
        const std::size_t allowed = clients.size();
        log_endpoint_clients(clients, allowed_clients_path(file));
        ep.update_clients(std::move(clients));
        const std::string clients_text = std::to_string(allowed) + " client(s) allowed";
        if (args.config.empty()) {
            spdlog::info("allowed clients reloaded");
            return {true, "allowed clients reloaded: " + clients_text + " (no config file (-c): the services stay)"};
        }
        auto services = endpoint_services(args, file);
        std::string names;
        for (const auto& [name, service] : services) names += (names.empty() ? "" : " ") + name;
        ep.update_services(std::move(services));
        spdlog::info("services and allowed clients reloaded from {}", args.config);
        return {true, "services reloaded from " + args.config + ": " + (names.empty() ? "(none)" : names) + "; " +
                          clients_text};
    } catch (const std::exception& e) {
        spdlog::error("reload refused, the old configuration stays in force: {}", e.what());
        return {false, std::string(e.what()) + " (the old configuration stays in force)"};
    }
}

}  // namespace

endpoint::DirectOptions direct_options(const EndpointArgs& args, const EndpointFile& file) {
    endpoint::DirectOptions direct;
    direct.upnp = args.upnp || file.upnp;
    direct.advertise = !args.advertise.empty() ? args.advertise : file.direct_advertise;
    for (const auto& a : direct.advertise)
        if (!proto::is_valid_candidate(a)) throw UsageError("--advertise '" + a + "': expected HOST:PORT");
    const std::string listen = !args.direct_listen.empty() ? args.direct_listen : file.direct_listen.value_or("");
    if (!listen.empty())
        direct.listen = address(listen, "direct listener", true);
    else if (direct.upnp || !direct.advertise.empty())
        direct.listen = io::HostPort{"0.0.0.0", kDefaultDirectPort};
    return direct;
}

int run_endpoint(const EndpointArgs& args) {
    EndpointFile file;
    if (!args.config.empty()) file = load_endpoint_file(args.config);
    endpoint::EndpointOptions options;
    options.name = !args.name.empty() ? args.name : file.name.value_or("");
    if (!proto::is_valid_name(options.name))
        throw UsageError(options.name.empty() ? "no endpoint name: use --name or name = \"...\" in the config"
                                              : "endpoint name '" + options.name + "' is not valid (letters, digits, . _ -)");
    const std::string relay = !args.relay.empty() ? args.relay : file.relay.value_or("");
    if (relay.empty()) throw UsageError("no relay given: use --relay HOST[:PORT] or relay = \"...\" in the config");
    options.relay = relay_address(relay);
    options.trust = relay_trust(args.relay_key, file.relay_key, args.config);
    options.services = endpoint_services(args, file);
    options.clients = load_endpoint_clients(args, file);
    options.direct = direct_options(args, file);
    if (file.max_streams_per_client)
        options.max_streams_per_client = static_cast<std::size_t>(*file.max_streams_per_client);
    options.tcp_congestion = file.tcp_congestion.value_or("");
    auto identity = load_or_create_identity(!args.key.empty() ? args.key : file.key_file.value_or(""));
    spdlog::info("endpoint '{}' with key {}", options.name, identity.public_key().fingerprint());
    log_endpoint_clients(options.clients, allowed_clients_path(file));
    io::asio::io_context ctx;
    auto ep = std::make_shared<endpoint::Endpoint>(ctx.get_executor(), options, identity, [&] {
        say("registered as " + options.name + " with relay " + options.relay.str());
        notify_service_manager("READY=1");
    });
    ControlSocket control(ctx.get_executor(), "endpoint", args.control_socket, file.control_socket,
                          {{"reload", [&] { return reload_endpoint(args, *ep); }}});
    ep->start();
    run_until_signal(ctx,
                     Shutdown{[&] {
                                  control.release();
                                  ep->drain();
                              },
                              [&] { return ep->idle(); }, [&] { ep->stop(); }, [&] { return ep->finished(); }},
                     [&] { reload_endpoint(args, *ep); });
    return 0;
}

int run_forward(const ClientArgs& args, const std::vector<std::string>& spec_texts) {
    std::vector<client::ForwardSpec> specs;
    for (const auto& t : spec_texts) {
        auto spec = client::parse_forward_spec(t);
        if (!spec) throw UsageError("bad -L '" + t + "': expected [bind:]port:endpoint:service or [bind:]port:endpoint/service");
        specs.push_back(*spec);
    }
    ConfigForwards from_file;
    const auto options = client_options(args, &from_file);
    if (!args.no_config_forwards) {
        std::vector<client::ForwardSpec> listed;
        for (const auto& t : from_file.specs) {
            auto spec = client::parse_forward_spec(t);
            if (!spec) throw ConfigError(from_file.file + ": forward '" + t + "': expected [bind:]port:endpoint:service or [bind:]port:endpoint/service");
            spec->origin = from_file.file;
            listed.push_back(*spec);
        }
        specs.insert(specs.begin(), listed.begin(), listed.end());
    }
    if (specs.empty())
        throw UsageError(args.no_config_forwards || from_file.specs.empty()
                             ? "nothing to forward: give at least one -L [bind:]port:endpoint:service"
                             : "nothing to forward: --no-config-forwards left out the config's, and no -L was given");
    io::asio::io_context ctx;
    auto fwd = std::make_shared<client::Forwarder>(ctx.get_executor(), options, specs);
    // A forward that lost a listener exits 1 (systemd's Restart=on-failure binds it again).
    std::string failure;
    std::function<void()> stop_now;
    const auto on_listening = [](const client::ForwardSpec& spec, const io::HostPort& bound) {
        say("forwarding " + bound.str() + " -> " + spec.target());
    };
    fwd->start(on_listening, [&](const std::string& why) {
        failure = why;
        if (stop_now) stop_now();
    });
    auto control = open_forward_socket(ctx.get_executor(), *fwd);
    notify_service_manager("READY=1");  // every -L listens
    run_until_signal(ctx,
                     Shutdown{[&] { fwd->drain(); }, [&] { return fwd->idle(); },
                              [&] {
                                  control.reset();
                                  fwd->stop();
                              },
                              [&] { return fwd->finished(); }},
                     {}, &stop_now);
    if (!failure.empty()) throw std::runtime_error(failure + "; the forward stopped");
    return 0;
}

constexpr std::chrono::seconds kConnectWakeWait{120};

int run_wake_endpoint(const ClientArgs& args, const std::string& endpoint, std::optional<std::chrono::seconds> wait) {
    const auto options = client_options(args);
    return run_to_end(client::wake_endpoint(options, endpoint, wait, stdout));
}

int run_connect(const ClientArgs& args, const std::string& first, const std::string& second) {
    std::string endpoint = first, service = second;
    if (const auto slash = first.find('/'); slash != std::string::npos) {
        if (!second.empty())
            throw UsageError("give the target as 'endpoint/service' or as 'endpoint service', not both");
        endpoint = first.substr(0, slash);
        service = first.substr(slash + 1);
    }
    if (service.empty()) throw UsageError("which service of '" + endpoint + "'? give 'endpoint service' or 'endpoint/service'");
    if (!proto::is_valid_name(endpoint) || !proto::is_valid_name(service))
        throw UsageError("'" + endpoint + "/" + service + "' is not a valid endpoint/service");
    const auto options = client_options(args);
    const std::string target = endpoint + "/" + service;
    // stdout carries the stream: what the wake says goes to stderr.
    if (args.wake && run_to_end(client::wake_endpoint(options, endpoint, kConnectWakeWait, stderr)) != 0) return 1;
    const std::string error = run_to_end(client::connect_stdio(options, target));
    if (!error.empty()) {
        std::fprintf(stderr, "burrow: %s: %s\n", target.c_str(), error.c_str());
        return 1;
    }
    return 0;
}

namespace {

std::string local_time(std::uint64_t seconds) {
    if (seconds == 0) return "-";
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm local{};
    ::localtime_r(&t, &local);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
    return text;
}

// Names and addresses hold no character JSON must escape (proto/control.cpp checks them).
std::string json_list(const std::vector<std::string>& names) {
    std::string out = "[";
    for (const auto& n : names) out += (out.size() > 1 ? ",\"" : "\"") + n + "\"";
    return out + "]";
}

void print_details(const proto::DetailsReply& reply, bool json) {
    if (json) {
        std::string out = "[";
        for (const auto& e : reply.endpoints)
            out += std::string(out.size() > 1 ? ",\n " : "") + "{\"name\":\"" + e.name + "\",\"online\":" +
                   (e.online ? "true" : "false") + ",\"" + (e.online ? "online_since" : "last_seen") +
                   "\":" + std::to_string(e.since) + ",\"address\":\"" + e.address +
                   "\",\"services\":" + json_list(e.services) + ",\"direct\":" + json_list(e.candidates) +
                   ",\"wake_via\":" + json_list(e.wakers) + "}";
        say(out + "]");
        return;
    }
    for (const auto& e : reply.endpoints) {
        char line[512];
        std::string extra;
        if (!e.candidates.empty()) extra = "direct " + relay::joined(e.candidates, ",");
        if (!e.wakers.empty()) extra += (extra.empty() ? "" : "  ") + ("wake via " + relay::joined(e.wakers, ","));
        std::snprintf(line, sizeof line, "%-16s %-8s %-31s %-18s %-24s %s", e.name.c_str(),
                      e.online ? "online" : "offline",
                      ((e.online ? "since " : "last seen ") + local_time(e.since)).c_str(),
                      e.address.empty() ? "-" : e.address.c_str(),
                      e.services.empty() ? "-" : relay::joined(e.services, ",").c_str(), extra.c_str());
        std::string text = line;
        while (!text.empty() && text.back() == ' ') text.pop_back();
        say(text);
    }
}

}  // namespace

int run_list(const ClientArgs& args, bool long_form, bool json) {
    const auto options = client_options(args);
    if (long_form || json) {
        const auto reply = run_to_end(client::list_details(options));
        if (reply.endpoints.empty() && !json)
            std::fprintf(stderr, "no endpoint you may open is known to relay %s\n", options.relay.str().c_str());
        print_details(reply, json);
        return 0;
    }
    const auto reply = run_to_end(client::list_endpoints(options));
    if (reply.endpoints.empty())
        std::fprintf(stderr, "no endpoint you may open is online at relay %s\n", options.relay.str().c_str());
    for (const auto& e : reply.endpoints) say(e.name + (e.services.empty() ? "" : " " + relay::joined(e.services, " ")));
    return 0;
}

int run_ssh_config(const ClientArgs& args, const std::vector<std::string>& names, const std::string& user, bool wake) {
    const auto options = client_options(args);
    const auto reply = run_to_end(client::list_details(options));
    std::vector<std::string> chosen;
    for (const auto& e : reply.endpoints) {
        const bool named = std::find(names.begin(), names.end(), e.name) != names.end();
        const bool has_ssh = std::find(e.services.begin(), e.services.end(), "ssh") != e.services.end();
        if (named ? (has_ssh || !e.online) : has_ssh) chosen.push_back(e.name);
    }
    for (const auto& n : names)
        if (std::find(chosen.begin(), chosen.end(), n) == chosen.end())
            throw std::runtime_error("endpoint '" + n + "' is not one you may open ssh on at relay " +
                                     options.relay.str() + " (burrow ls -l lists them)");
    if (chosen.empty()) {
        std::fprintf(stderr, "burrow: no endpoint you may open publishes ssh at relay %s\n", options.relay.str().c_str());
        return 1;
    }
    SshConfigOptions config;
    std::error_code ec;
    config.burrow = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    if (ec || config.burrow.empty()) config.burrow = "burrow";
    config.relay_args = {"--relay", options.relay.str()};
    if (!args.relay_key.empty()) config.relay_args.insert(config.relay_args.end(), {"--relay-key", args.relay_key});
    if (!args.config.empty())
        config.relay_args.insert(config.relay_args.end(), {"-c", std::filesystem::absolute(args.config).string()});
    if (!args.key.empty())
        config.relay_args.insert(config.relay_args.end(), {"--key", std::filesystem::absolute(args.key).string()});
    config.user = user;
    config.wake = wake;
    std::printf("# burrow ssh-config: endpoints of relay %s that publish ssh (append to ~/.ssh/config)\n\n%s",
                options.relay.str().c_str(), ssh_config_text(chosen, config).c_str());
    return 0;
}

}  // namespace burrow::app
