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
#include "io/session.hpp"
#include "io/stream_codec.hpp"
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
    // Called once when the pump is done, with an empty string on a clean end.
    using DoneFn = std::function<void(const std::string& error)>;
    // Makes the codec once the stream is accepted; null with `error` set refuses the stream.
    using CodecFactory =
        std::function<std::unique_ptr<StreamCodec>(const std::optional<proto::PeerKey>& acceptor_key, std::string& error)>;
    // Connects the local side: a stream, or null and why not.
    struct Dialed {
        std::unique_ptr<ByteStream> stream;
        std::string failure;
    };
    using LocalDial = std::function<awaitable<Dialed>()>;

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
    awaitable<void> half(awaitable<void> (StreamPump::*direction)());  // runs one, then finish_half()
    awaitable<void> upload();    // local -> stream
    awaitable<void> download();  // stream -> local
    awaitable<void> park(asio::steady_timer& timer, bool& waiting);
    void collect_codec_output();
    bool drain_outbox();  // true when the outbox is empty
    // Ends the stream with RESET. The local connection is reset too, unless the
    // peer's whole direction was written to it already (then it keeps that end).
    void abort(const std::string& why, proto::Errc code = proto::Errc::cancelled);
    void finish_half();

    std::shared_ptr<Session> session_;
    proto::StreamId id_;
    std::unique_ptr<ByteStream> local_;
    DoneFn done_;
    std::unique_ptr<StreamCodec> codec_;
    CodecFactory codec_factory_;
    LocalDial dial_;
    std::chrono::milliseconds handshake_deadline_{0};
    bool handshake_late_ = false;
    std::vector<std::uint8_t> outbox_;  // encoded bytes not yet taken by the mux
    proto::Fifo<Chunk> inbox_;
    std::size_t inbox_grant_ = 0;
    asio::steady_timer up_wake_;
    asio::steady_timer down_wake_;
    bool up_waiting_ = false;
    bool down_waiting_ = false;
    bool peer_fin_ = false;
    bool peer_end_written_ = false;  // the peer's whole direction, then shutdown_send, went to the local side
    bool aborted_ = false;
    bool finished_ = false;
    bool running_ = false;
    int halves_left_ = 2;
    std::string error_;
    std::shared_ptr<LocalTraffic> traffic_;
};

}  // namespace burrow::io
