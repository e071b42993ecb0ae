#pragma once
// A Mux run over a ByteStream: one coroutine reads and feeds the mux, one
// writes what it produces (STYLE.md S6). Stream events go to the
// StreamHandler attached to that stream; session events to the SessionHandler.
// Single-threaded: everything runs on the session's executor.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "io/asio.hpp"
#include "io/byte_stream.hpp"
#include "proto/mux.hpp"

namespace burrow::io {

class Session;

class StreamHandler {
public:
    virtual ~StreamHandler() = default;
    // `acceptor_key`: the endpoint's identity, as the relay vouches for it.
    virtual void on_accepted(const std::optional<proto::PeerKey>& /*acceptor_key*/) {}
    virtual void on_rejected(proto::Errc code, const std::string& reason) = 0;
    virtual void on_data(std::vector<std::uint8_t>&& bytes) = 0;  // must grant() them later
    virtual void on_fin() = 0;
    virtual void on_reset(proto::Errc code, const std::string& reason) = 0;
    virtual void on_writable() = 0;
    virtual void on_session_closed(const std::string& why) = 0;
};

class SessionHandler {
public:
    virtual ~SessionHandler() = default;
    virtual void on_ready(Session&) {}
    // The handler answers with accept() or reject(), now or later.
    // `opener_key`: the client's identity, as the relay vouches for it.
    virtual void on_stream_opened(Session& s, proto::StreamId id, const std::string& target,
                                  const std::optional<proto::PeerKey>& opener_key) = 0;
    virtual void on_control(Session&, proto::ControlMessage&&) {}
    virtual void on_goaway(Session&, proto::Errc, const std::string&) {}
    virtual void on_closed(Session&, const std::string&) {}
};

// Liveness: a PING every `ping_interval`; a peer silent for `dead_after`
// (no byte at all, not even a PONG) is taken for gone and the session closes.
struct Liveness {
    std::chrono::milliseconds ping_interval{5000};
    std::chrono::milliseconds dead_after{20000};
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(asio::any_io_executor ex, std::unique_ptr<ByteStream> transport, proto::Role role,
            proto::MuxLimits limits, std::shared_ptr<SessionHandler> handler, Liveness liveness = {});

    void start();
    // Wakes the writer; call after any mux command made outside an event callback.
    void flush();
    // Idempotent. Flushes what is queued (a GOAWAY, say) for a moment, then closes.
    void close(const std::string& why);

    proto::Mux& mux() noexcept { return mux_; }
    void attach(proto::StreamId id, std::shared_ptr<StreamHandler> handler);
    void detach(proto::StreamId id);
    bool closed() const noexcept { return closed_; }
    const std::string& peer() const noexcept { return peer_; }
    asio::any_io_executor executor() const noexcept { return executor_; }
    void set_handler(std::shared_ptr<SessionHandler> handler) { handler_ = std::move(handler); }

private:
    awaitable<void> read_loop();
    awaitable<void> write_loop();
    awaitable<void> liveness_loop();
    void dispatch();
    void handle(proto::MuxEvent&& event);
    StreamHandler* handler_for(proto::StreamId id);

    asio::any_io_executor executor_;
    std::unique_ptr<ByteStream> transport_;
    proto::Mux mux_;
    std::shared_ptr<SessionHandler> handler_;
    std::unordered_map<proto::StreamId, std::shared_ptr<StreamHandler>> streams_;
    asio::steady_timer wake_;
    asio::steady_timer linger_;
    asio::steady_timer heartbeat_;
    Liveness liveness_;
    std::chrono::steady_clock::time_point last_heard_;
    std::uint64_t pings_sent_ = 0;
    std::string peer_;
    bool closed_ = false;
    bool writer_idle_ = false;
};

}  // namespace burrow::io
