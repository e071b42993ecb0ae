#include "client/relay_link.hpp"

namespace burrow::client {

io::awaitable<std::shared_ptr<io::Session>> open_relay_session(const ClientOptions& options,
                                                               std::shared_ptr<ClientPeer> peer) {
    auto transport = co_await io::dial_relay(options.relay, *options.tls, options.trust);
    auto ex = co_await asio::this_coro::executor;
    auto session = std::make_shared<io::Session>(ex, std::move(transport), proto::Role::initiator, options.limits,
                                                 std::move(peer));
    session->start();
    co_return session;
}

}  // namespace burrow::client
