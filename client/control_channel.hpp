#pragma once
// Requests to the relay on stream 0 and their answers, which come in request
// order (docs/PROTOCOL.md §5.2).
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "client/relay_link.hpp"

namespace burrow::client {

// The requests a session has asked and not yet had answered. Wire answer()
// to ClientPeer::on_message and fail_all() to its on_end.
class PendingRequests {
public:
    // Sends `request` on `session` and waits for its answer: nullopt if the
    // session ended or no answer came within `timeout`.
    io::awaitable<std::optional<proto::ControlMessage>> ask(io::Session& session, proto::ControlMessage request,
                                                            std::chrono::milliseconds timeout);
    void answer(proto::ControlMessage&& message);  // to the oldest request
    void fail_all();

private:
    struct Pending {
        explicit Pending(asio::any_io_executor ex) : answered(ex, asio::steady_timer::time_point::max()) {}
        asio::steady_timer answered;
        std::optional<proto::ControlMessage> answer;
    };
    std::deque<std::shared_ptr<Pending>> pending_;
};

// A session of its own for a few requests (wake, ls).
class ControlChannel {
public:
    // Dials the relay; throws as open_relay_session() does.
    static io::awaitable<std::unique_ptr<ControlChannel>> open(const ClientOptions& options);
    ~ControlChannel();

    io::awaitable<std::optional<proto::ControlMessage>> ask(proto::ControlMessage request,
                                                            std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Why the session ended, if it did.
    const std::string& ended() const noexcept { return state_->ended; }

private:
    struct State {
        PendingRequests requests;
        std::string ended;
    };
    ControlChannel() = default;
    std::shared_ptr<State> state_ = std::make_shared<State>();
    std::shared_ptr<io::Session> session_;
};

}  // namespace burrow::client
