#pragma once
// The client role: forward local ports (`-L`), carry stdio (`connect`), list
// endpoints (`ls`) — each over one session to the relay.
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <map>
#include <optional>

#include "crypto/identity.hpp"
#include "io/asio.hpp"
#include "io/dialer.hpp"
#include "client/forward_status.hpp"
#include "io/relay_dial.hpp"
#include "io/stream_pump.hpp"
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
    std::string origin;  // where it was given, when not on the command line: "client.toml"
    std::string target() const { return endpoint + "/" + service; }
};

// "[bind:]port:endpoint:service" or "[bind:]port:endpoint/service" (bind
// defaults to 127.0.0.1, "[v6]" allowed).
std::optional<ForwardSpec> parse_forward_spec(std::string_view text);

struct ClientOptions {
    io::HostPort relay;
    io::RelayTrust trust;
    std::shared_ptr<crypto::Identity> identity;
    std::shared_ptr<io::TlsContext> tls;              // client side, around `identity`
    std::map<std::string, crypto::PublicKey> endpoint_keys;  // pinned in the config
    std::string known_endpoints;                      // trust-on-first-use file for the rest
    bool strict_endpoint_keys = false;                // refuse endpoints pinned nowhere
    proto::MuxLimits limits;
};

// The end-to-end codec for a stream to `target`, once the relay named the
// endpoint's key: checked against the pin in the config or the
// known-endpoints file, where pins are scoped by relay ("gpu@vps:7443"). A
// changed key is refused; a new one is pinned once the handshake has proven
// the endpoint holds it (unless strict_endpoint_keys, which refuses it).
// Null with `error` set on refusal.
// "gpu@vps.example.org:7443": the name of an endpoint's pin in known_endpoints.
std::string endpoint_pin_name(const std::string& endpoint, const io::HostPort& relay);
std::unique_ptr<io::StreamCodec> make_client_codec(const ClientOptions& options, const std::string& endpoint,
                                                   const std::string& target,
                                                   const std::optional<proto::PeerKey>& endpoint_key,
                                                   std::string& error);

// `ls`: the endpoints online and their services. Throws on failure.
io::awaitable<proto::ListReply> list_endpoints(ClientOptions options);
// `ls -l`: also offline ones, since when, at which address, who can wake them.
io::awaitable<proto::DetailsReply> list_details(ClientOptions options);

// Has the relay wake `endpoint` (an online endpoint on its LAN sends the
// magic packet); with `wait`, resends every 10 s until it is online. Says what
// happens on `out`; returns the exit status (1: it did not come online in
// time). Throws with the reason when it cannot be woken.
io::awaitable<int> wake_endpoint(ClientOptions options, std::string endpoint, std::optional<std::chrono::seconds> wait,
                                 std::FILE* out);

// Carries stdin/stdout as one stream to `target`; returns an error text or "".
io::awaitable<std::string> connect_stdio(ClientOptions options, std::string target);

// What the relay said of a target, in words: "ok", "endpoint 'gpu' has no
// service 'x' (it has: ssh)", ... `client` is this client's key, for "not granted".
std::string describe_target_check(const std::string& endpoint, const std::string& service,
                                  const proto::TargetCheck& check, const crypto::PublicKey& client);

class ClientPeer;
class PendingRequests;
struct DirectSession;

// `burrow forward`: listens on every -L at once and keeps a session to the
// relay up for as long as it runs, re-dialing with backoff (like autossh).
// A connection that arrives while there is no session, or while its
// endpoint is offline, waits up to 10 s for one, then is reset with a logged
// reason; while the relay's key is refused, connections are reset at once.
// A listener that fails (its socket no longer accepts) stops the whole
// forward: `burrow forward` then exits 1 naming it, rather than run on
// without a port it was asked for.
class Forwarder : public std::enable_shared_from_this<Forwarder> {
public:
    Forwarder(asio::any_io_executor ex, ClientOptions options, std::vector<ForwardSpec> specs);
    ~Forwarder();
    // Binds every -L, calling `on_listening(spec, bound)` for each (throws if a
    // port cannot be bound, naming where the spec came from), then starts.
    // If it cannot go on (a listener or the relay session keeper failed), it
    // stops, then calls `on_failure(why)`.
    void start(const std::function<void(const ForwardSpec&, const io::HostPort&)>& on_listening,
               std::function<void(const std::string& why)> on_failure = {});
    void stop();        // says goodbye to the relay and ends everything
    void drain();       // stop listening; open streams go on
    bool idle() const;  // no stream open
    bool finished() const;  // after stop(): the goodbye is out
    ForwardStatus status() const;

private:
    io::awaitable<void> keep_connected();
    io::awaitable<void> check_targets_at_start();
    io::awaitable<void> accept_loop(std::size_t index);
    io::awaitable<void> serve(io::tcp::socket socket, std::size_t index);
    // The session, once usable, within `until`; null with `why` set otherwise.
    io::awaitable<std::shared_ptr<io::Session>> usable_session(std::chrono::steady_clock::time_point until,
                                                               std::string& why);
    // Asks the relay about `target` unless it was fine last time; waits while its endpoint is offline.
    io::awaitable<bool> target_ready(const ForwardSpec& spec, std::chrono::steady_clock::time_point until,
                                     std::string& why);
    io::awaitable<std::optional<proto::CheckReply>> check(std::vector<std::string> targets);
    std::shared_ptr<ClientPeer> make_peer();
    // The direct path to `endpoint`: asks the relay for its candidates and
    // dials them, unless a direct session is up or was tried lately.
    io::awaitable<void> try_direct(std::string endpoint);
    void maybe_try_direct(const std::string& endpoint);
    // A direct session to `endpoint` that takes new streams now, or null.
    std::shared_ptr<io::Session> direct_session(const std::string& endpoint) const;
    io::awaitable<void> wait_for_change(std::chrono::steady_clock::time_point until);
    void notify();  // the session's state changed: wake who waits for it
    void fail(const std::string& why);  // stops, then tells on_failure_

    asio::any_io_executor ex_;
    ClientOptions options_;
    std::vector<ForwardSpec> specs_;
    std::vector<std::shared_ptr<io::tcp::acceptor>> acceptors_;  // one per spec
    std::vector<std::shared_ptr<io::LocalTraffic>> traffic_;     // likewise
    std::int64_t connected_since_ = 0;
    std::shared_ptr<io::Session> session_;
    bool stopped_ = false;
    std::string refusal_;       // the relay's key is refused: why, with the fix
    std::string last_failure_;  // of the last attempt to reach the relay
    std::string session_end_;   // why the last session ended
    std::map<std::string, proto::TargetStatus> statuses_;  // by target, as last checked on this session
    std::unique_ptr<PendingRequests> requests_;             // CHECKs asked; answers come in order
    std::vector<asio::steady_timer*> waiters_;
    struct Direct {
        std::shared_ptr<DirectSession> link;  // up, or null
        bool trying = false;
        std::chrono::steady_clock::time_point next_try{};
    };
    std::map<std::string, Direct> direct_;  // by endpoint
    asio::steady_timer pause_;
    std::function<void(const std::string& why)> on_failure_;
};

}  // namespace burrow::client
