#pragma once
// The stream multiplexer as a state machine without I/O (docs/PROTOCOL.md §3-4).
//
// Bytes from the transport go in through receive(); what happened comes out
// of poll_event(); the application acts with open/accept/reject/send/finish/
// reset/grant; bytes for the transport come out of pending_output(). Time is
// never read here. Every count the peer can drive is bounded by MuxLimits.
//
// Credit: a receiver grants each stream `stream_window` bytes at open, plus
// `session_window` bytes for the session as a whole. A sender never queues a
// byte it has no credit for (send() accepts at most send_capacity()); data
// beyond credit from the peer resets that stream (stream credit) or ends the
// session (session credit). Credit goes back to the peer only when the
// application calls grant(): for every byte it received in a StreamData
// event, whether it used or discarded it. How much a stream gets back is
// sized by WindowTuner from its rate and the round trip the session reports:
// at least stream_window while no quiet stream shares the session, down to
// shared_stream_window while one does (so its bytes do not queue behind the
// busy ones), up to max_stream_window on a long path.
//
// Output fairness (OutputScheduler): control frames go first; stream data is
// interleaved round robin, at most `write_quantum` bytes per stream per turn,
// so one bulk stream cannot hold back a keystroke on another.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <variant>
#include <vector>

#include "proto/byte_queue.hpp"
#include "proto/control.hpp"
#include "proto/errc.hpp"
#include "proto/fifo.hpp"
#include "proto/frame.hpp"
#include "proto/frame_reader.hpp"
#include "proto/output_scheduler.hpp"
#include "proto/window_tuner.hpp"

namespace burrow::proto {

// The versions this side speaks (docs/PROTOCOL.md §3.2); a session uses the
// highest both speak. Version 2 adds the E2E flag on DATA (§1.3, §2.3).
inline constexpr std::uint16_t kMinProtocolVersion = 1;
inline constexpr std::uint16_t kProtocolVersion = 2;
inline constexpr std::uint16_t kEndToEndFlagVersion = 2;

// The side that dialed the transport is the initiator; it opens odd stream ids.
enum class Role : std::uint8_t { initiator, acceptor };

struct MuxLimits {
    std::uint32_t stream_window = 1024 * 1024;       // receive credit granted per stream
    std::uint32_t shared_stream_window = 64 * 1024;  // the least a stream sharing the session is cut to
    std::uint32_t max_stream_window = 16 * 1024 * 1024;  // the most a stream grows to on a long path
    std::uint32_t session_window = 32 * 1024 * 1024; // receive credit granted per session
    std::uint32_t max_frame_payload = 16 * 1024;     // largest payload accepted (<= 64 KiB)
    std::uint32_t max_streams = 1024;                // concurrent streams the peer may open
    std::uint32_t write_quantum = 16 * 1024;         // round-robin turn per stream
    std::size_t max_control_backlog = 256 * 1024;    // unsent control bytes before GOAWAY(overloaded)
    std::size_t output_chunk = 64 * 1024;            // pending_output() hands out about this much
};

// A peer's 32-byte identity key, as vouched for by the relay (OPEN, ACCEPT).
using PeerKey = std::array<std::uint8_t, 32>;

// Events, in the order the peer's frames caused them.
struct Ready {};  // both HELLOs seen: the session is up
struct StreamOpened {
    StreamId stream;
    std::string target;
    std::optional<PeerKey> opener_key;  // the client, when a relay opens toward an endpoint
};
struct StreamAccepted {
    StreamId stream;
    std::optional<PeerKey> acceptor_key;  // the endpoint, when a relay accepts for it
};
struct StreamRejected {
    StreamId stream;
    Errc code;
    std::string reason;
};
struct StreamData {
    StreamId stream;
    std::vector<std::uint8_t> bytes;
};
struct StreamEndToEnd {  // the peer's bytes on this stream are end-to-end records from here on
    StreamId stream;
};
struct StreamFin {
    StreamId stream;
};
struct StreamReset {  // by the peer, or by this mux when the peer broke the stream's rules
    StreamId stream;
    Errc code;
    std::string reason;
};
struct StreamWritable {  // send credit came back after send() was cut short
    StreamId stream;
};
struct ControlReceived {
    ControlMessage message;
};
struct PongReceived {
    std::uint64_t payload;
};
struct AckReceived {  // the peer has received this many bytes of the session
    std::uint64_t total;
};
struct GoAwayReceived {
    Errc code;
    std::string reason;
};

using MuxEvent = std::variant<Ready, StreamOpened, StreamAccepted, StreamRejected, StreamData, StreamEndToEnd,
                              StreamFin, StreamReset, StreamWritable, ControlReceived, PongReceived,
                              GoAwayReceived, AckReceived>;

class Mux {
public:
    Mux(Role role, MuxLimits limits = {});

    // Feeds transport bytes. On a session-fatal error, GOAWAY is queued, the
    // error is returned and every later call is a no-op returning it again.
    std::error_code receive(std::span<const std::uint8_t> bytes);
    std::optional<MuxEvent> poll_event();

    // Opens a stream to `target`; 0 when the session cannot open one (closing,
    // ids used up, target longer than 255 bytes).
    StreamId open(std::string_view target, const std::optional<PeerKey>& opener_key = std::nullopt);
    void accept(StreamId id, const std::optional<PeerKey>& acceptor_key = std::nullopt);
    void reject(StreamId id, Errc code, std::string_view reason);
    // Queues up to send_capacity(id) bytes; returns how many it took.
    std::size_t send(StreamId id, std::span<const std::uint8_t> bytes);
    // The same for a buffer the caller gives up: when all of it fits the
    // credit it is queued as it is, without a copy (then `bytes` is left
    // empty); otherwise as much as fits is copied and `bytes` is untouched.
    std::size_t send(StreamId id, std::vector<std::uint8_t>&& bytes);
    std::size_t send_capacity(StreamId id) const noexcept;
    // Bytes sent on `id` from now on are end-to-end records: their DATA
    // frames carry the E2E flag, so links pass them on unsealed (bytes
    // queued before stay in frames without it). Once per stream; later
    // calls do nothing, and so does any call on a session of version 1.
    void mark_end_to_end(StreamId id) noexcept;
    // Asks for a StreamWritable event once the stream's capacity is above zero again.
    void want_writable(StreamId id) noexcept;
    void finish(StreamId id);  // half-close: no more data from this side
    void reset(StreamId id, Errc code, std::string_view reason);
    // The application is done with these bytes (at `now`: the window tuner's clock).
    void grant(StreamId id, std::size_t bytes, Clock::time_point now);
    // The session's smallest round trip so far (zero: unknown); windows are sized by it.
    void set_min_rtt(Clock::duration rtt) noexcept { min_rtt_ = rtt; }
    Clock::duration min_rtt() const noexcept { return min_rtt_; }
    // The receive window `id` is held to now (for tests and diagnostics).
    std::uint32_t receive_window(StreamId id) const noexcept;

    void ping(std::uint64_t payload);
    void ack(std::uint64_t received_total);
    // No new streams either way; existing ones go on. Sent once, except that a
    // drain (`going_away`) may be followed by the final one when the session
    // ends (PROTOCOL.md §3.4).
    void goaway(Errc code, std::string_view reason);
    void send_control(const ControlMessage& message);

    // Bytes of the frame under way that receive() holds: they count as
    // received only once the frame is whole.
    std::size_t partial_frame_bytes() const noexcept { return reader_.buffered(); }
    // A new transport takes over from the frame boundary the peer was told:
    // the partial frame's bytes will come again.
    void drop_partial_frame() noexcept { reader_.drop_partial(); }

    // Bytes to write; stable until consume_output(), frames queued meanwhile go behind.
    std::span<const std::uint8_t> pending_output();
    void consume_output(std::size_t n);
    // All of pending_output(), consumed and handed over without a copy.
    std::vector<std::uint8_t> take_output() { return output_.take_all(); }
    bool has_output() const noexcept;

    bool failed() const noexcept { return static_cast<bool>(failure_); }
    bool ready() const noexcept { return peer_hello_seen_; }
    // The version both sides settled on (0 before the peer's HELLO).
    std::uint16_t version() const noexcept { return version_; }
    bool peer_going_away() const noexcept { return peer_goaway_; }
    // The largest payload the peer accepts (from its HELLO; 1 KiB before it).
    std::uint32_t peer_max_payload() const noexcept { return peer_max_payload_ ? peer_max_payload_ : 1024; }
    std::size_t stream_count() const noexcept { return streams_.size(); }
    bool stream_exists(StreamId id) const noexcept { return streams_.count(id) != 0; }
    // Bytes queued for sending, in stream buffers and output: bounded by credit + control backlog.
    std::size_t buffered_bytes() const noexcept;

private:
    enum class Phase : std::uint8_t { opening, open };
    struct Stream {
        Phase phase = Phase::opening;
        bool peer_opened = false;
        std::int64_t send_credit = 0;             // the peer's remaining grant to us
        std::uint32_t recv_remaining = 0;         // our remaining grant to the peer
        std::uint32_t recv_held = 0;              // delivered, not yet consumed (granted)
        std::uint32_t recv_to_grant = 0;          // credit due to the peer, not yet sent
        WindowTuner tuner;
        bool busy = false;                        // tuner.busy() as of the last grant
        ByteQueue send_buf;
        bool fin_queued = false;                  // finish() called
        bool fin_sent = false;
        bool fin_received = false;
        bool blocked = false;                     // send() was cut short by credit
        bool scheduled = false;                   // waiting for an output turn
        bool e2e_out = false;                     // mark_end_to_end() called
        std::size_t sealed_left = 0;              // of send_buf, bytes queued before that
        bool e2e_in = false;                      // the peer flagged its DATA E2E
    };

    std::error_code on_frame(const FrameHeader& h, std::span<const std::uint8_t> payload);
    std::error_code on_hello(std::span<const std::uint8_t> payload);
    std::error_code on_open(const FrameHeader& h, std::span<const std::uint8_t> payload);
    std::error_code on_accept(const FrameHeader& h, std::span<const std::uint8_t> payload);
    std::error_code on_reject(const FrameHeader& h, std::span<const std::uint8_t> payload);
    std::error_code on_data(const FrameHeader& h, std::span<const std::uint8_t> payload);
    std::error_code on_window(const FrameHeader& h, std::span<const std::uint8_t> payload);
    std::error_code on_reset(const FrameHeader& h, std::span<const std::uint8_t> payload);
    std::error_code on_ping(const FrameHeader& h, std::span<const std::uint8_t> payload);
    std::error_code on_goaway(std::span<const std::uint8_t> payload);
    std::error_code on_control(std::span<const std::uint8_t> payload);
    std::error_code on_ack(std::span<const std::uint8_t> payload);

    std::error_code fail(Errc code, std::string_view reason);
    bool is_peer_id(StreamId id) const noexcept;
    bool was_used(StreamId id) const noexcept;  // opened at some time by either side
    Stream* find(StreamId id) noexcept;
    void queue_coded(FrameType type, StreamId id, Errc code, std::string_view reason);
    void queue_window(StreamId id, std::uint32_t increment);
    void schedule(StreamId id, Stream& s);
    void close_if_done(StreamId id, Stream& s);
    void erase(StreamId id);
    void wake_blocked();
    std::uint32_t window_of(const Stream& s) const noexcept;
    // One turn of `id` in the output round robin: a DATA frame of at most `max_chunk` bytes, FIN with the last.
    void take_turn(StreamId id, std::uint32_t max_chunk, std::vector<std::uint8_t>& out);

    Role role_;
    MuxLimits limits_;
    FrameReader reader_;
    std::unordered_map<StreamId, Stream> streams_;
    Fifo<MuxEvent> events_;
    OutputScheduler output_;
    StreamId next_local_id_;
    StreamId last_peer_id_ = 0;
    std::uint32_t peer_streams_ = 0;         // live streams the peer opened
    std::int64_t session_send_credit_ = 0;
    std::uint32_t session_recv_remaining_;
    std::uint32_t session_recv_to_grant_ = 0;
    std::uint32_t peer_max_payload_ = 0;
    std::uint16_t version_ = 0;
    Clock::duration min_rtt_{};
    std::size_t busy_streams_ = 0;           // streams with Stream::busy set
    bool peer_hello_seen_ = false;
    bool local_goaway_ = false;
    bool local_goaway_final_ = false;  // a GOAWAY other than going_away went out
    bool peer_goaway_ = false;
    std::error_code failure_;
};

}  // namespace burrow::proto
