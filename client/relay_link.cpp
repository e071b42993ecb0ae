#include "client/relay_link.hpp"

namespace burrow::client {

io::awaitable<std::shared_ptr<io::Session>> open_relay_session(const ClientOptions& options,
                                                               std::shared_ptr<ClientPeer> peer) {
    std::unique_ptr<io::TcpByteStream> transport;
    try {
        transport = co_await io::dial_tcp(options.relay);
    } catch (const boost::system::system_error& e) {
        throw std::runtime_error("relay " + options.relay.str() + " unreachable: " + e.code().message());
    }
    auto ex = co_await asio::this_coro::executor;
    auto session = std::make_shared<io::Session>(ex, std::move(transport), proto::Role::initiator, options.limits,
                                                 std::move(peer));
    session->start();
    co_return session;
}

}  // namespace burrow::client
