#pragma once
// A Mux run over a ByteStream: one coroutine reads and feeds the mux, one
// writes what it produces (STYLE.md S6). Stream events go to the
// StreamHandler attached to that stream; session events to the SessionHandler.
// Single-threaded: everything runs on the session's executor.
//
// A resumable session (docs/PROTOCOL.md §3.6) survives a broken transport: it
// keeps every byte it wrote until the peer acknowledges it (proto::Resumption
// does the counting and keeping), is *suspended*
// when the transport fails, and resume() puts it on a new transport, replaying
// what the peer missed. Streams and the local connections behind them never
// notice. A session not resumed within the grace period closes.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "io/asio.hpp"
#include "io/byte_stream.hpp"
#include "proto/mux.hpp"
#include "proto/resumption.hpp"

namespace burrow::io {

class Session;

class StreamHandler {
public:
    virtual ~StreamHandler() = default;
    // `acceptor_key`: the endpoint's identity, as the relay vouches for it.
    virtual void on_accepted(const std::optional<proto::PeerKey>& /*acceptor_key*/) {}
    virtual void on_rejected(proto::Errc code, const std::string& reason) = 0;
    virtual void on_data(std::vector<std::uint8_t>&& bytes) = 0;  // must grant() them later
    // The peer's bytes are end-to-end records from here on (its DATA carries the E2E flag).
    virtual void on_end_to_end() {}
    virtual void on_fin() = 0;
    virtual void on_reset(proto::Errc code, const std::string& reason) = 0;
    virtual void on_writable() = 0;
    virtual void on_session_closed(const std::string& why) = 0;
};

class SessionHandler {
public:
    virtual ~SessionHandler() = default;
    virtual void on_ready(Session&) {}
    // `opener_key`: the client's identity, as the relay vouches for it.
    // The handler answers with accept() or reject(), now or later.
    virtual void on_stream_opened(Session& s, proto::StreamId id, const std::string& target,
                                  const std::optional<proto::PeerKey>& opener_key) = 0;
    virtual void on_control(Session&, proto::ControlMessage&&) {}
    virtual void on_goaway(Session&, proto::Errc, const std::string&) {}
    virtual void on_suspended(Session&, const std::string& /*why*/) {}
    virtual void on_resumed(Session&) {}
    virtual void on_closed(Session&, const std::string&) {}
};

// Liveness: a PING every `ping_interval`; a peer silent for `dead_after`
// (no byte at all, not even a PONG) is taken for gone.
struct Liveness {
    std::chrono::milliseconds ping_interval{5000};
    std::chrono::milliseconds dead_after{20000};
    std::chrono::milliseconds resume_grace{60000};  // how long a broken resumable session waits
    // A direct session (client to endpoint, no relay) is not resumed: it is
    // given up on sooner, so that new streams go through the relay within seconds.
    static Liveness direct() { return {std::chrono::milliseconds(2000), std::chrono::milliseconds(7000), {}}; }
};

class Session : public std::enable_shared_from_this<Session> {
public:
    // `initial_input`: bytes already read from the transport that belong to this session.
    Session(asio::any_io_executor ex, std::unique_ptr<ByteStream> transport, proto::Role role,
            proto::MuxLimits limits, std::shared_ptr<SessionHandler> handler, Liveness liveness = {},
            std::vector<std::uint8_t> initial_input = {});

    void start();
    // Wakes the writer; call after any mux command made outside an event callback.
    void flush();
    // Idempotent. Tells the peer (GOAWAY), flushes for a moment, then closes.
    void close(const std::string& why);
    // A mux command and the flush that sends it, in one call.
    void send_control(const proto::ControlMessage& message);
    void reject(proto::StreamId id, proto::Errc code, std::string_view reason);
    void goaway(proto::Errc code, std::string_view reason);

    // The acceptor issued `ticket`: from now on a broken transport suspends
    // the session instead of closing it. (The initiator's session enables
    // itself when the ticket arrives.)
    void enable_resume(const proto::ResumeTicket& ticket) { resumption_.enable(ticket); }
    const std::optional<proto::ResumeTicket>& ticket() const noexcept { return resumption_.ticket(); }
    bool suspended() const noexcept { return suspended_; }
    std::uint64_t received_total() const noexcept { return resumption_.received_total(); }
    // Initiator: the RESUME frame that starts a new transport for this session.
    std::vector<std::uint8_t> resume_request() const { return resumption_.resume_request(); }
    // Puts a suspended session on `transport`; the peer has received
    // `peer_received` bytes. `preamble` is written before anything else.
    // False (and the session closed) when the peer asks for bytes no longer kept.
    bool resume(std::unique_ptr<ByteStream> transport, std::uint64_t peer_received,
                std::vector<std::uint8_t> preamble = {});
    // The transport is known to be dead (the peer came back on another one).
    void transport_lost(const std::string& why) { transport_failed(why, generation_); }

    proto::Mux& mux() noexcept { return mux_; }
    void attach(proto::StreamId id, std::shared_ptr<StreamHandler> handler);
    void detach(proto::StreamId id);
    bool closed() const noexcept { return closed_; }
    // Closed, and its last frames (the GOAWAY) are out or given up on: the process may exit.
    bool finished() const noexcept { return closed_ && (suspended_ || transport_closed_); }
    const std::string& peer() const noexcept { return peer_; }
    // Since the last byte from the peer (its PONGs count).
    std::chrono::steady_clock::duration silent_for() const { return std::chrono::steady_clock::now() - last_heard_; }
    asio::any_io_executor executor() const noexcept { return executor_; }

private:
    std::error_code receive(std::span<const std::uint8_t> bytes);
    awaitable<void> read_loop(std::shared_ptr<ByteStream> transport, unsigned generation);
    awaitable<void> write_loop(std::shared_ptr<ByteStream> transport, unsigned generation);
    awaitable<void> liveness_loop();
    void spawn_loops();
    void transport_failed(const std::string& why, unsigned generation);
    void dispatch();
    void probe_rtt();  // a PING whose PONG measures the round trip
    void on_pong(std::uint64_t payload);
    void handle(proto::MuxEvent&& event);
    StreamHandler* handler_for(proto::StreamId id);

    asio::any_io_executor executor_;
    std::shared_ptr<ByteStream> transport_;
    proto::Mux mux_;
    std::shared_ptr<SessionHandler> handler_;
    std::unordered_map<proto::StreamId, std::shared_ptr<StreamHandler>> streams_;
    asio::steady_timer wake_;
    asio::steady_timer linger_;
    asio::steady_timer heartbeat_;
    asio::steady_timer grace_;
    Liveness liveness_;
    std::chrono::steady_clock::time_point last_heard_;
    std::uint64_t pings_sent_ = 0;
    std::uint64_t probe_payload_ = 0;            // of the PING being timed
    proto::Clock::time_point probe_sent_{};      // when it went out; {} when none is
    std::uint64_t probe_offset_ = 0;             // bytes written before it
    std::string peer_;
    bool closed_ = false;
    bool writer_idle_ = false;
    bool transport_closed_ = false;  // after close(): the writer is done with it
    // resumption
    unsigned generation_ = 0;  // of the current transport; loops of older ones stop
    proto::Resumption resumption_;
    bool suspended_ = false;
    std::vector<std::uint8_t> initial_input_;
    std::vector<std::uint8_t> replay_;  // preamble + bytes the peer missed, written first after resume()
};

}  // namespace burrow::io
