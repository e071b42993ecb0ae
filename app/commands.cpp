#include "app/commands.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "app/config.hpp"
#include "client/client.hpp"
#include "endpoint/endpoint.hpp"
#include "io/asio.hpp"
#include "relay/relay.hpp"

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

// Runs the io_context until `stop` is called or SIGINT/SIGTERM arrives.
void run_until_signal(io::asio::io_context& ctx, std::function<void()> on_signal) {
    io::asio::signal_set signals(ctx, SIGINT, SIGTERM);
    signals.async_wait([&](const io::error_code& ec, int sig) {
        if (ec) return;
        spdlog::info("signal {}: stopping", sig);
        on_signal();
        ctx.stop();
    });
    ctx.run();
}

std::string default_client_config() {
    const char* home = std::getenv("HOME");
    if (!home) return {};
    const auto path = std::filesystem::path(home) / ".config/burrow/client.toml";
    return std::filesystem::exists(path) ? path.string() : std::string{};
}

client::ClientOptions client_options(const ClientArgs& args, std::vector<std::string>* forwards = nullptr) {
    std::string relay = args.relay;
    const std::string path = args.config.empty() ? default_client_config() : args.config;
    if (!path.empty()) {
        auto file = load_client_file(path);
        if (relay.empty() && file.relay) relay = *file.relay;
        if (forwards) forwards->insert(forwards->begin(), file.forward.begin(), file.forward.end());
    }
    if (relay.empty())
        if (const char* env = std::getenv("BURROW_RELAY")) relay = env;
    if (relay.empty()) throw UsageError("no relay given: use --relay HOST:PORT, BURROW_RELAY or a client config");
    client::ClientOptions options;
    options.relay = address(relay, "relay");
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

void run_to_end(io::awaitable<void> task) {
    io::asio::io_context ctx;
    std::exception_ptr failure;
    io::asio::co_spawn(ctx, std::move(task), [&](std::exception_ptr e) { failure = e; });
    ctx.run();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace

int run_relay(const RelayArgs& args) {
    relay::RelayOptions options;
    std::string listen = "127.0.0.1:7443";
    if (!args.config.empty()) {
        const auto file = load_relay_file(args.config);
        if (file.listen) listen = *file.listen;
    }
    if (!args.listen.empty()) listen = args.listen;
    options.listen = address(listen, "listen address", true);
    io::asio::io_context ctx;
    auto relay = std::make_shared<relay::Relay>(ctx.get_executor(), options);
    relay->start();
    say("listening on " + relay->bound().str());
    spdlog::info("relay listening on {}", relay->bound().str());
    run_until_signal(ctx, [&] { relay->stop(); });
    return 0;
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
    if (relay.empty()) throw UsageError("no relay given: use --relay HOST:PORT or relay = \"...\" in the config");
    options.relay = address(relay, "relay");
    for (const auto& [name, addr] : file.services) {
        if (!proto::is_valid_name(name)) throw ConfigError(args.config + ": service name '" + name + "' is not valid");
        auto hp = io::parse_host_port(addr);
        if (!hp) throw ConfigError(args.config + ": service '" + name + "': '" + addr + "' is not HOST:PORT");
        options.services[name] = *hp;
    }
    for (const auto& s : args.services) {
        const auto eq = s.find('=');
        if (eq == std::string::npos || !proto::is_valid_name(s.substr(0, eq)))
            throw UsageError("--service '" + s + "': expected NAME=HOST:PORT");
        options.services[s.substr(0, eq)] = address(s.substr(eq + 1), "--service " + s.substr(0, eq));
    }
    if (options.services.size() > proto::kMaxServices)
        throw UsageError("at most " + std::to_string(proto::kMaxServices) + " services per endpoint");
    io::asio::io_context ctx;
    auto ep = std::make_shared<endpoint::Endpoint>(ctx.get_executor(), options, [&] {
        say("registered as " + options.name + " with relay " + options.relay.str());
    });
    ep->start();
    run_until_signal(ctx, [&] { ep->stop(); });
    return 0;
}

int run_forward(const ClientArgs& args, const std::vector<std::string>& spec_texts) {
    std::vector<std::string> texts = spec_texts;
    const auto options = client_options(args, &texts);
    std::vector<client::ForwardSpec> specs;
    for (const auto& t : texts) {
        auto spec = client::parse_forward_spec(t);
        if (!spec) throw UsageError("bad -L '" + t + "': expected [bind:]port:endpoint:service");
        specs.push_back(*spec);
    }
    if (specs.empty()) throw UsageError("nothing to forward: give at least one -L [bind:]port:endpoint:service");
    io::asio::io_context ctx;
    auto fwd = std::make_shared<client::Forwarder>(ctx.get_executor(), options, specs);
    std::exception_ptr failure;
    io::asio::co_spawn(
        ctx,
        fwd->start([](const client::ForwardSpec& spec, const io::HostPort& bound) {
            say("forwarding " + bound.str() + " -> " + spec.target());
        }),
        [&](std::exception_ptr e) {
            if (!e) return;
            failure = e;
            fwd->stop();
            ctx.stop();
        });
    run_until_signal(ctx, [&] { fwd->stop(); });
    if (failure) std::rethrow_exception(failure);
    return 0;
}

int run_connect(const ClientArgs& args, const std::string& endpoint, const std::string& service) {
    if (!proto::is_valid_name(endpoint) || !proto::is_valid_name(service))
        throw UsageError("'" + endpoint + "/" + service + "' is not a valid endpoint/service");
    const auto options = client_options(args);
    const std::string target = endpoint + "/" + service;
    const std::string error = run_to_end(client::connect_stdio(options, target));
    if (!error.empty()) {
        std::fprintf(stderr, "burrow: %s: %s\n", target.c_str(), error.c_str());
        return 1;
    }
    return 0;
}

int run_list(const ClientArgs& args) {
    const auto options = client_options(args);
    run_to_end(client::list_endpoints(options, [](const proto::ListReply& reply) {
        for (const auto& e : reply.endpoints) {
            std::string line = e.name;
            for (const auto& s : e.services) line += " " + s;
            say(line);
        }
    }));
    return 0;
}

}  // namespace burrow::app
