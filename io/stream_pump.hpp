#pragma once
// Moves bytes between a local ByteStream (a TCP connection, stdio) and one
// mux stream, within credit both ways: it reads locally only as much as the
// stream may send, and grants the peer credit only for bytes written locally.
// EOF on the local side becomes FIN; FIN from the peer becomes shutdown_send.
// An optional StreamCodec (end-to-end encryption) sits in between.
//
// The local side gets an end of stream only for the peer's whole direction:
// its FIN (which the codec accepts only after the end-of-stream record) with
// every byte before it written locally. A stream that ends any other way (a
// RESET, the session closing, a local error, bytes that fail end to end)
// resets the local connection, so a prefix never looks complete
// (docs/PROTOCOL.md §4.6).
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "io/asio.hpp"
#include "io/byte_stream.hpp"
#include "io/pump_error.hpp"
#include "io/pump_outbox.hpp"
#include "io/session.hpp"
#include "io/stream_codec.hpp"
#include "io/wakeup.hpp"
#include "proto/fifo.hpp"

namespace burrow::io {

// What a pump's local side sent and received, for status; may be shared by many pumps.
struct LocalTraffic {
    std::uint64_t connections_open = 0;
    std::uint64_t connections = 0;
    std::uint64_t bytes_sent = 0;      // read from the local side, sent on the stream
    std::uint64_t bytes_received = 0;  // from the stream, written to the local side
};

class StreamPump final : public StreamHandler, public std::enable_shared_from_this<StreamPump> {
public:
    // Called once when the pump is done; `error` is empty (false) on a clean end.
    using DoneFn = std::function<void(const PumpError& error)>;
    // Makes the codec once the stream is accepted; null with `refusal` set
    // refuses the stream (PumpErrc::refused).
    using CodecFactory = std::function<std::unique_ptr<StreamCodec>(
        const std::optional<proto::PeerKey>& acceptor_key, std::string& refusal)>;
    // Connects the local side: a stream, or null and why not (PumpErrc::dial_failed).
    struct Dialed {
        std::unique_ptr<ByteStream> stream;
        std::error_code cause;
        std::string failure;
    };
    using LocalDial = std::function<awaitable<Dialed>()>;

    // The pump as a whole.
    enum class Phase : std::uint8_t {
        waiting,   // not started: the stream awaits ACCEPT
        dialing,   // the end-to-end handshake runs, then the local side is dialed
        pumping,   // both halves run
        stopping,  // aborted: RESET sent, the local side reset, the coroutines wind down
        finished,  // both halves are over and done_ was called
    };
    // One direction: the upload (local -> stream) or the download (stream -> local).
    enum class HalfState : std::uint8_t {
        open,    // carrying bytes
        ending,  // upload: local EOF came, the end-of-stream record and FIN go out;
                 // download: the peer's FIN came, what is left is written, then shutdown_send
        ended,   // over, whole: FIN sent, or the peer's direction written and half-closed
        cut,     // over before its end: the pump aborted, or the stream went away
    };

    StreamPump(std::shared_ptr<Session> session, proto::StreamId id, std::unique_ptr<ByteStream> local,
               DoneFn done = {});
    ~StreamPump() override;

    // For a stream this side accepted: the codec is known now.
    void set_codec(std::unique_ptr<StreamCodec> codec);
    // For a stream this side opened: the codec is made at ACCEPT.
    void set_codec_factory(CodecFactory factory) { codec_factory_ = std::move(factory); }
    // For a pump made without a local side: once the codec's handshake is
    // done (the peer proved its key), `dial` connects it; a handshake not done
    // within `deadline` resets the stream, a failed dial too
    // (service_unavailable). Before start().
    void dial_local_after_handshake(LocalDial dial, std::chrono::milliseconds deadline);

    // Counts this connection and its bytes in `traffic` (before start()).
    void count_into(std::shared_ptr<LocalTraffic> traffic);

    // Attaches to the session. With `opened` false the pump waits for ACCEPT.
    void start(bool opened);

    Phase phase() const noexcept { return phase_; }
    HalfState upload_state() const noexcept { return up_; }
    HalfState download_state() const noexcept { return down_; }

    void on_accepted(const std::optional<proto::PeerKey>& acceptor_key) override;
    void on_rejected(proto::Errc code, const std::string& reason) override;
    void on_data(std::vector<std::uint8_t>&& bytes) override;
    void on_fin() override;
    void on_reset(proto::Errc code, const std::string& reason) override;
    void on_writable() override;
    void on_session_closed(const std::string& why) override;

private:
    struct Chunk {
        std::vector<std::uint8_t> bytes;  // to write locally
        std::size_t grant;                // stream bytes they came from
    };
    void run();
    void run_halves();
    awaitable<void> dial_local();
    // Runs one direction, then ends its half.
    awaitable<void> half(awaitable<void> (StreamPump::*direction)(), HalfState& state);
    awaitable<void> upload();    // local -> stream
    awaitable<void> download();  // stream -> local
    bool handshake_done() const { return !codec_ || codec_->can_encode(); }
    void collect_codec_output();
    bool drain_outbox();  // true when the outbox is empty
    // Ends the stream with RESET. The local connection is reset too, unless the
    // peer's whole direction was written to it already (then it keeps that end).
    void abort(PumpError error, proto::Errc code = proto::Errc::cancelled);
    // A half whose coroutine returned (or never ran) is over; the pump
    // finishes with the second.
    void end_half(HalfState& state);
    void finish();

    std::shared_ptr<Session> session_;
    proto::StreamId id_;
    std::unique_ptr<ByteStream> local_;
    DoneFn done_;
    std::unique_ptr<StreamCodec> codec_;
    CodecFactory codec_factory_;
    LocalDial dial_;
    std::chrono::milliseconds handshake_deadline_{0};
    Phase phase_ = Phase::waiting;
    HalfState up_ = HalfState::open;
    HalfState down_ = HalfState::open;
    PumpOutbox outbox_;  // encoded bytes not yet taken by the mux
    proto::Fifo<Chunk> inbox_;
    std::size_t inbox_grant_ = 0;
    Wakeup up_wake_;
    Wakeup down_wake_;
    PumpError error_;
    std::shared_ptr<LocalTraffic> traffic_;
};

}  // namespace burrow::io
