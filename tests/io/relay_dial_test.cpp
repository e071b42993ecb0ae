// io::dial_relay against loopback listeners: a relay with the pinned key, one
// with another key, one that is not a burrow relay, and none at all.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "io/relay_dial.hpp"
#include "io/tls_stream.hpp"
#include "tests/support/run_until.hpp"

namespace burrow::io {
namespace {

using namespace std::chrono_literals;

struct Listener {
    asio::io_context ctx;
    tcp::acceptor acceptor{ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0)};
    HostPort at() const { return HostPort{"127.0.0.1", acceptor.local_endpoint().port()}; }

    // Accepts one connection and runs a TLS server on it with `identity`.
    void serve_tls(const crypto::Identity& identity) {
        server_tls = std::make_unique<TlsContext>(identity, true);
        asio::co_spawn(
            ctx,
            [this]() -> awaitable<void> {
                auto socket = co_await acceptor.async_accept(use_awaitable);
                server_link = (co_await tls_handshake(*server_tls, std::move(socket), 10s)).stream;
            },
            [](std::exception_ptr) {});  // the client may drop the connection after the handshake
    }

    // What dial_relay threw ("" if nothing), and whether it was RelayKeyRefused.
    std::string dial(const RelayTrust& trust, bool* refused_key = nullptr) {
        TlsContext tls(crypto::Identity::generate(), false);
        const HostPort relay = at();
        return test::run_task(ctx, [&]() -> awaitable<void> {
            try {
                client_link = co_await dial_relay(relay, tls, trust, 10s);
            } catch (const RelayKeyRefused&) {
                if (refused_key) *refused_key = true;
                throw;
            }
        });
    }

    std::unique_ptr<TlsContext> server_tls;
    std::unique_ptr<ByteStream> server_link;
    std::unique_ptr<ByteStream> client_link;
};

RelayTrust pinned(const crypto::PublicKey& key) {
    RelayTrust trust;
    trust.pinned = key;
    trust.pinned_by = "--relay-key";
    return trust;
}

TEST(RelayDial, ARelayWithThePinnedKeyIsReached) {
    Listener relay;
    const auto relay_id = crypto::Identity::generate();
    relay.serve_tls(relay_id);
    EXPECT_EQ(relay.dial(pinned(relay_id.public_key())), "");
    EXPECT_TRUE(relay.client_link);
}

TEST(RelayDial, ARelayWithAnotherKeyIsRefused) {
    Listener relay;
    relay.serve_tls(crypto::Identity::generate());
    bool refused = false;
    const std::string failure = relay.dial(pinned(crypto::Identity::generate().public_key()), &refused);
    EXPECT_TRUE(refused);
    EXPECT_EQ(failure.rfind("RELAY KEY CHANGED: relay " + relay.at().str(), 0), 0u) << failure;
    EXPECT_NE(failure.find("--relay-key"), std::string::npos) << failure;
    EXPECT_FALSE(relay.client_link);
}

TEST(RelayDial, AServerThatIsNoRelayIsNamed) {
    Listener relay;
    asio::co_spawn(
        relay.ctx,
        [&]() -> awaitable<void> {
            auto socket = co_await relay.acceptor.async_accept(use_awaitable);
            const std::string answer = "HTTP/1.1 400 Bad Request\r\n\r\n";
            co_await asio::async_write(socket, asio::buffer(answer), use_awaitable);
            error_code ec;
            std::array<char, 512> sink;
            co_await socket.async_read_some(asio::buffer(sink), redirect_error(use_awaitable, ec));
        },
        [](std::exception_ptr) {});
    const std::string failure = relay.dial(pinned(crypto::Identity::generate().public_key()));
    EXPECT_EQ(failure.rfind(relay.at().str() + " is not a burrow relay: it answered in plain HTTP", 0), 0u) << failure;
}

TEST(RelayDial, NoRelayListeningIsUnreachable) {
    Listener relay;
    const HostPort at = relay.at();
    relay.acceptor.close();
    TlsContext tls(crypto::Identity::generate(), false);
    const RelayTrust trust = pinned(crypto::Identity::generate().public_key());
    const std::string failure = test::run_task(relay.ctx, [&]() -> awaitable<void> {
        (void)co_await dial_relay(at, tls, trust, 10s);
    });
    EXPECT_EQ(failure, "relay " + at.str() + " unreachable: Connection refused");
}

}  // namespace
}  // namespace burrow::io
