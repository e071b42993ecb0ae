#pragma once
// The client role: forward local ports (`-L`), carry stdio (`connect`), list
// endpoints (`ls`) — each over one session to the relay.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <map>
#include <optional>

#include "crypto/identity.hpp"
#include "io/asio.hpp"
#include "io/dialer.hpp"
#include "io/relay_dial.hpp"
#include "proto/mux.hpp"

namespace burrow::io {
class Session;
class TlsContext;
class StreamCodec;
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
    io::RelayTrust trust;
    std::shared_ptr<crypto::Identity> identity;
    std::shared_ptr<io::TlsContext> tls;              // client side, around `identity`
    std::map<std::string, crypto::PublicKey> endpoint_keys;  // pinned in the config
    std::string known_endpoints;                      // trust-on-first-use file for the rest
    proto::MuxLimits limits;
};

// The end-to-end codec for a stream to `target`, once the relay named the
// endpoint's key: checked against the pin or the known-endpoints file (first
// use pins it; a changed key is refused). Null with `error` set on refusal.
std::unique_ptr<io::StreamCodec> make_client_codec(const ClientOptions& options, const std::string& endpoint,
                                                   const std::string& target,
                                                   const std::optional<proto::PeerKey>& endpoint_key,
                                                   std::string& error);

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
    void drain();       // stop listening; open streams go on
    bool idle() const;  // no stream open

private:
    io::awaitable<void> accept_loop(std::shared_ptr<io::tcp::acceptor> acceptor, ForwardSpec spec);
    io::awaitable<std::shared_ptr<io::Session>> session();
    io::awaitable<void> wait_for_resume();
    void wake_resume_waiters();

    asio::any_io_executor ex_;
    ClientOptions options_;
    std::vector<ForwardSpec> specs_;
    std::vector<std::shared_ptr<io::tcp::acceptor>> acceptors_;
    std::shared_ptr<io::Session> session_;
    bool connecting_ = false;
    asio::steady_timer connected_;
    std::vector<asio::steady_timer*> resume_waiters_;  // new streams waiting for session_ to resume
};

}  // namespace burrow::client
