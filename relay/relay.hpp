#pragma once
// The relay role: accepts TLS sessions from endpoints and clients whose keys
// its policy lists, keeps the registry of endpoint names, and splices client
// streams to endpoint streams.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "crypto/identity.hpp"
#include "io/asio.hpp"
#include "io/dialer.hpp"
#include "io/resume.hpp"
#include "proto/mux.hpp"
#include "relay/admission.hpp"
#include "relay/control_handler.hpp"
#include "relay/exposed_ports.hpp"
#include "relay/hold_queue.hpp"
#include "relay/log_limiter.hpp"
#include "relay/policy.hpp"
#include "relay/registry.hpp"
#include "relay/resume_tickets.hpp"
#include "relay/session_table.hpp"
#include "relay/splice_observer.hpp"
#include "relay/status.hpp"
#include "relay/wake_book.hpp"

namespace burrow::io {
class Session;
class TlsContext;
struct HandshakeStop;
}  // namespace burrow::io

namespace burrow::relay {

namespace asio = io::asio;
class Splice;

// Bounds on what strangers and peers can make the relay hold or do.
struct RelayLimits {
    std::chrono::milliseconds handshake_timeout{10000};  // TCP accept to authenticated session
    std::chrono::milliseconds first_bytes_timeout{3000};  // TCP accept to the peer's first byte
    std::size_t max_unauthenticated = 512;               // connections still in the handshake
    std::size_t max_unauthenticated_per_source = 32;     // ... from one IPv4 address or IPv6 /64
    std::size_t reserved_for_known_sources = 128;        // ... kept for sources that authenticated lately
    std::size_t max_sessions_per_key = 8;                // live and suspended sessions of one key
    double stream_opens_per_second = 1000;               // per session, token bucket
    double stream_open_burst = 2000;

    AdmissionLimits admission() const {
        AdmissionLimits a;
        a.max_pending = max_unauthenticated;
        a.max_pending_per_source = max_unauthenticated_per_source;
        a.reserved_for_known = reserved_for_known_sources;
        return a;
    }
};

struct RelayOptions {
    io::HostPort listen{"127.0.0.1", 7443};
    proto::MuxLimits mux;
    RelayLimits limits;
    Policy policy;
    std::map<std::string, WakeConfig> wake;  // from [[endpoints]] wake = {...}
    std::string state_file;                  // where what it learns for waking is kept
    std::vector<ExposeRule> expose;          // public ports ([[expose]])
    std::shared_ptr<SpliceObserver> splice_observer;  // none in burrow: a test's (relay/splice_observer.hpp)
    std::string tcp_congestion;              // sessions' congestion control ("bbr"); empty: the system's
};

class Relay : public std::enable_shared_from_this<Relay> {
public:
    Relay(asio::any_io_executor ex, RelayOptions options, crypto::Identity identity);
    ~Relay();

    // Binds the listener (throws on failure) and starts accepting.
    void start();
    void stop();
    // Graceful shutdown: no new connections or streams; existing streams go on.
    void drain();
    bool idle() const;  // no stream open on any session that is connected
    bool finished() const;  // after stop(): every session's GOAWAY is out
    // Takes a new policy, limits and exposed ports; closes sessions whose key
    // is no longer allowed and returns how many. `expose_failure` gets the
    // exposed ports that could not be opened, if any.
    std::size_t reload(RelayOptions options, std::string* expose_failure = nullptr);
    io::HostPort bound() const { return bound_; }
    // Who is online and what went through, for /metrics, the status page and `burrow status`.
    RelayStatus status() const;
    const crypto::PublicKey& key() const noexcept { return identity_.public_key(); }

private:
    class Peer;
    io::awaitable<void> accept_loop();
    io::awaitable<void> authenticate(io::tcp::socket socket, std::string source, Admission::Id slot,
                                     std::chrono::steady_clock::time_point accepted);
    // Ends a pending handshake to make room (Admission evicted it).
    void evict(Admission::Id slot);
    void on_open(SessionId from, Peer& peer, proto::StreamId id, const std::string& target);
    void route(SessionId from, const crypto::PublicKey& client, proto::StreamId id, const std::string& target);
    void hold(SessionId from, const crypto::PublicKey& client, proto::StreamId id, const std::string& target,
              const std::string& endpoint);
    void arm_held_timer();
    void release_held(const std::string& endpoint);
    void expire_held();
    void on_control(SessionId from, const Peer& peer, proto::ControlMessage&& msg);
    void open_exposed(io::tcp::socket socket, const ExposeRule& rule);
    void on_ready(SessionId id, io::Session& session);
    void on_suspended(SessionId id, io::Session& session);
    void on_resumed(SessionId id, io::Session& session);
    void on_closed(SessionId id);
    io::awaitable<void> resume(std::unique_ptr<io::ByteStream> transport, proto::ResumeRequest request,
                               crypto::PublicKey key, std::string source);
    // Makes room for one more session of `key`, or says why there is none.
    bool admit_session(const crypto::PublicKey& key, std::string& refusal);
    std::size_t revoke_streams();  // those the policy no longer grants; returns how many
    std::vector<std::shared_ptr<io::Session>> sessions() const;  // those still there

    asio::any_io_executor ex_;
    RelayOptions options_;
    crypto::Identity identity_;
    std::unique_ptr<io::TlsContext> tls_;
    io::tcp::acceptor acceptor_;
    io::HostPort bound_;
    Registry registry_;
    WakeBook wake_book_;
    ExposedPorts exposed_;
    SessionTable sessions_;
    ResumeTickets tickets_;
    HoldQueue held_;
    asio::steady_timer held_timer_;  // set for the oldest held stream
    std::vector<std::shared_ptr<io::Session>> closing_;  // by stop()
    bool draining_ = false;
    struct Spliced {
        std::weak_ptr<Splice> splice;
        crypto::PublicKey client;
        std::string target;
    };
    std::vector<Spliced> spliced_;  // for reload; pruned as splices end
    std::size_t spliced_capacity_ = 0;  // its size after the last pruning
    Admission admission_;
    std::unordered_map<Admission::Id, std::shared_ptr<io::HandshakeStop>> handshakes_;  // pending, by admission slot
    LogLimiter evictions_log_{std::chrono::seconds(10)};
    LogLimiter strangers_log_{std::chrono::seconds(10)};
    RelayCounters counters_;
    ControlHandler control_{options_.policy, registry_, wake_book_, counters_};
    std::int64_t started_ = 0;
    std::shared_ptr<Traffic> totals_ = std::make_shared<Traffic>();
};

}  // namespace burrow::relay
