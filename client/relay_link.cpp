#include "client/relay_link.hpp"

#include <spdlog/spdlog.h>

#include "io/resume.hpp"
#include "io/spawn.hpp"

namespace burrow::client {

namespace {

// A break shorter than this goes unmentioned: most resume within it.
constexpr auto kQuietResume = std::chrono::seconds(2);

}  // namespace

void ClientPeer::on_stream_opened(io::Session& s, proto::StreamId id, const std::string&,
                                  const std::optional<proto::PeerKey>&) {
    s.mux().reject(id, proto::Errc::not_authorized, "clients accept no streams");
}

void ClientPeer::on_control(io::Session&, proto::ControlMessage&& msg) {
    if (on_message) on_message(std::move(msg));
}

void ClientPeer::on_ready(io::Session&) {
    if (on_hello) on_hello();
}

void ClientPeer::on_goaway(io::Session&, proto::Errc code, const std::string& reason) {
    goaway = code;
    goaway_reason = reason;
    if (on_going_away) on_going_away();
}

void ClientPeer::on_suspended(io::Session& s, const std::string& why) {
    spdlog::debug("connection to the relay lost ({}): resuming the session", why);
    notice_ = std::make_shared<asio::steady_timer>(s.executor(), kQuietResume);
    const auto grace = std::chrono::duration_cast<std::chrono::seconds>(io::Liveness{}.resume_grace).count();
    notice_->async_wait([this, notice = notice_, session = s.weak_from_this(), grace](io::error_code ec) {
        const auto live = session.lock();
        if (ec || !live || live->closed() || !live->suspended()) return;
        noticed_ = true;
        spdlog::warn("relay connection lost; resuming, up to {} s", grace);
    });
    if (on_suspend) on_suspend(s);
}

void ClientPeer::on_resumed(io::Session&) {
    if (notice_) notice_->cancel();
    notice_.reset();
    if (noticed_) spdlog::warn("relay connection back: the session resumed");
    noticed_ = false;
    if (on_resume) on_resume();
}

void ClientPeer::on_closed(io::Session&, const std::string& why) {
    if (notice_) notice_->cancel();
    notice_.reset();
    if (on_end) on_end(why);
}

io::awaitable<std::shared_ptr<io::Session>> open_relay_session(const ClientOptions& options,
                                                               std::shared_ptr<ClientPeer> peer) {
    auto transport = co_await io::dial_relay(options.relay, *options.tls, options.trust);
    auto ex = co_await asio::this_coro::executor;
    peer->on_suspend = [options, ex](io::Session& s) {
        auto session = s.shared_from_this();
        io::spawn(ex, io::reattach(session, [options]() {
                      return io::dial_relay(options.relay, *options.tls, options.trust);
                  }),
                  "resuming the session to relay " + options.relay.str(),
                  [session](const std::string& what) { session->close("resuming failed: " + what); });
    };
    auto session = std::make_shared<io::Session>(ex, std::move(transport), proto::Role::initiator, options.limits,
                                                 std::move(peer));
    session->start();
    co_return session;
}

}  // namespace burrow::client
