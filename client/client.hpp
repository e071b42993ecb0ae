#pragma once
// The client role: forward local ports (`-L`), carry stdio (`connect`), list
// endpoints (`ls`) — each over one session to the relay.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/asio.hpp"
#include "io/dialer.hpp"
#include "proto/mux.hpp"

namespace burrow::io {
class Session;
}

namespace burrow::client {

namespace asio = io::asio;

struct ForwardSpec {
    io::HostPort bind;  // port 0 = any
    std::string endpoint;
    std::string service;
    std::string target() const { return endpoint + "/" + service; }
};

// "[bind:]port:endpoint:service" (bind defaults to 127.0.0.1, "[v6]" allowed).
std::optional<ForwardSpec> parse_forward_spec(std::string_view text);

struct ClientOptions {
    io::HostPort relay;
    proto::MuxLimits limits;
};

// Runs `ls`; the result, one line per endpoint, goes to `print`. Throws on failure.
io::awaitable<void> list_endpoints(ClientOptions options, std::function<void(const proto::ListReply&)> print);

// Carries stdin/stdout as one stream to `target`; returns an error text or "".
io::awaitable<std::string> connect_stdio(ClientOptions options, std::string target);

class Forwarder : public std::enable_shared_from_this<Forwarder> {
public:
    Forwarder(asio::any_io_executor ex, ClientOptions options, std::vector<ForwardSpec> specs);
    // Connects to the relay, binds every -L, calls `on_listening(spec, bound)`
    // per listener, then serves until stop(). Throws if the relay is unreachable
    // or a port cannot be bound.
    io::awaitable<void> start(std::function<void(const ForwardSpec&, const io::HostPort&)> on_listening);
    void stop();

private:
    io::awaitable<void> accept_loop(std::shared_ptr<io::tcp::acceptor> acceptor, ForwardSpec spec);
    io::awaitable<std::shared_ptr<io::Session>> session();

    asio::any_io_executor ex_;
    ClientOptions options_;
    std::vector<ForwardSpec> specs_;
    std::vector<std::shared_ptr<io::tcp::acceptor>> acceptors_;
    std::shared_ptr<io::Session> session_;
    bool connecting_ = false;
    asio::steady_timer connected_;
};

}  // namespace burrow::client
