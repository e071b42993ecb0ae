#pragma once
// Moves bytes between a local ByteStream (a TCP connection, stdio) and one
// mux stream, within credit both ways: it reads locally only as much as the
// stream may send, and grants the peer credit only for bytes written locally.
// EOF on the local side becomes FIN; FIN from the peer becomes shutdown_send.
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "io/asio.hpp"
#include "io/byte_stream.hpp"
#include "io/session.hpp"

namespace burrow::io {

class StreamPump final : public StreamHandler, public std::enable_shared_from_this<StreamPump> {
public:
    // Called once when the pump is done, with an empty string on a clean end.
    using DoneFn = std::function<void(const std::string& error)>;

    StreamPump(std::shared_ptr<Session> session, proto::StreamId id, std::unique_ptr<ByteStream> local,
               DoneFn done = {});

    // Attaches to the session. With `opened` false the pump waits for ACCEPT.
    void start(bool opened);

    void on_accepted() override;
    void on_rejected(proto::Errc code, const std::string& reason) override;
    void on_data(std::vector<std::uint8_t>&& bytes) override;
    void on_fin() override;
    void on_reset(proto::Errc code, const std::string& reason) override;
    void on_writable() override;
    void on_session_closed(const std::string& why) override;

private:
    void run();
    awaitable<void> upload();    // local -> stream
    awaitable<void> download();  // stream -> local
    void abort(const std::string& why);
    void finish_half();
    static void wake(asio::steady_timer& t, bool waiting);

    std::shared_ptr<Session> session_;
    proto::StreamId id_;
    std::unique_ptr<ByteStream> local_;
    DoneFn done_;
    std::deque<std::vector<std::uint8_t>> inbox_;
    std::size_t inbox_bytes_ = 0;
    asio::steady_timer up_wake_;
    asio::steady_timer down_wake_;
    bool up_waiting_ = false;
    bool down_waiting_ = false;
    bool peer_fin_ = false;
    bool aborted_ = false;
    bool finished_ = false;
    bool running_ = false;
    int halves_left_ = 2;
    std::string error_;
};

}  // namespace burrow::io
