#include "client/relay_link.hpp"

#include <spdlog/spdlog.h>

#include "io/resume.hpp"

namespace burrow::client {

io::awaitable<std::shared_ptr<io::Session>> open_relay_session(const ClientOptions& options,
                                                               std::shared_ptr<ClientPeer> peer) {
    auto transport = co_await io::dial_relay(options.relay, *options.tls, options.trust);
    auto ex = co_await asio::this_coro::executor;
    peer->on_suspend = [options, ex](io::Session& s) {
        spdlog::warn("connection to relay {} lost: resuming the session", options.relay.str());
        asio::co_spawn(ex, io::reattach(s.shared_from_this(), [options]() {
                           return io::dial_relay(options.relay, *options.tls, options.trust);
                       }),
                       asio::detached);
    };
    auto session = std::make_shared<io::Session>(ex, std::move(transport), proto::Role::initiator, options.limits,
                                                 std::move(peer));
    session->start();
    co_return session;
}

}  // namespace burrow::client
