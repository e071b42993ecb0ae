#include "client/control_channel.hpp"

namespace burrow::client {

io::awaitable<std::optional<proto::ControlMessage>> PendingRequests::ask(io::Session& session,
                                                                         proto::ControlMessage request,
                                                                         std::chrono::milliseconds timeout) {
    if (session.closed() || session.suspended()) co_return std::nullopt;
    auto pending = std::make_shared<Pending>(session.executor());
    pending_.push_back(pending);
    session.mux().send_control(request);
    session.flush();
    asio::steady_timer deadline(session.executor(), timeout);
    deadline.async_wait([weak = std::weak_ptr<Pending>(pending)](io::error_code ec) {
        if (auto p = weak.lock(); p && !ec) p->answered.cancel();
    });
    io::error_code ec;
    co_await pending->answered.async_wait(io::redirect_error(io::use_awaitable, ec));
    deadline.cancel();
    co_return std::move(pending->answer);
}

void PendingRequests::answer(proto::ControlMessage&& message) {
    if (pending_.empty()) return;
    auto first = pending_.front();
    pending_.pop_front();
    first->answer = std::move(message);
    first->answered.cancel();
}

void PendingRequests::fail_all() {
    for (auto& p : std::exchange(pending_, {})) p->answered.cancel();
}

io::awaitable<std::unique_ptr<ControlChannel>> ControlChannel::open(const ClientOptions& options) {
    std::unique_ptr<ControlChannel> channel(new ControlChannel());
    auto peer = std::make_shared<ClientPeer>();
    peer->on_message = [state = std::weak_ptr<State>(channel->state_)](proto::ControlMessage&& msg) {
        if (auto s = state.lock()) s->requests.answer(std::move(msg));
    };
    peer->on_end = [state = std::weak_ptr<State>(channel->state_), relay = options.relay.str()](const std::string& why) {
        auto s = state.lock();
        if (!s) return;
        s->ended = "relay " + relay + ": " + why;
        s->requests.fail_all();
    };
    channel->session_ = co_await open_relay_session(options, peer);
    co_return channel;
}

ControlChannel::~ControlChannel() {
    if (session_) session_->close("done");
}

io::awaitable<std::optional<proto::ControlMessage>> ControlChannel::ask(proto::ControlMessage request,
                                                                        std::chrono::milliseconds timeout) {
    auto state = state_;  // the answer may come after this channel is gone
    co_return co_await state->requests.ask(*session_, std::move(request), timeout);
}

}  // namespace burrow::client
