// io::tls_handshake on loopback TCP: the keys and link it yields, and how a
// peer that is no burrow peer, is silent or is busy ends it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io/tls_stream.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/run_until.hpp"

namespace burrow::io {
namespace {

using namespace std::chrono_literals;
using test::run_task;
using Bytes = std::vector<std::uint8_t>;

struct Loopback {
    asio::io_context ctx;
    test::LoopbackPair pair = test::loopback_pair(ctx);
    tcp::socket& client = pair.client;
    tcp::socket& server = pair.server;
};

// What the client's handshake threw, or "" if it succeeded.
std::string client_failure(Loopback& l, TlsContext& tls, std::chrono::milliseconds timeout = 10s) {
    return run_task(l.ctx,
                    [&]() -> awaitable<void> { (void)co_await tls_handshake(tls, std::move(l.client), timeout); });
}

TEST(TlsStream, AHandshakeGivesBothSidesTheOthersKeyAndALink) {
    Loopback l;
    const auto client_id = crypto::Identity::generate();
    const auto server_id = crypto::Identity::generate();
    TlsContext client_tls(client_id, false), server_tls(server_id, true);
    TlsResult at_client, at_server;
    bool server_done = false;
    asio::co_spawn(
        l.ctx,
        [&]() -> awaitable<void> { at_server = co_await tls_handshake(server_tls, std::move(l.server), 10s); },
        [&](std::exception_ptr e) {
            server_done = true;
            EXPECT_FALSE(e);
        });
    EXPECT_EQ(run_task(l.ctx,
                       [&]() -> awaitable<void> {
                           at_client = co_await tls_handshake(client_tls, std::move(l.client), 10s);
                       }),
              "");
    ASSERT_TRUE(test::run_until(l.ctx, [&] { return server_done; }));
    ASSERT_TRUE(at_client.stream && at_server.stream);
    EXPECT_EQ(at_client.peer_key, server_id.public_key());
    EXPECT_EQ(at_server.peer_key, client_id.public_key());
    const Bytes hello = {'l', 'i', 'n', 'k'};
    Bytes got(16);
    std::size_t n = 0;
    EXPECT_EQ(run_task(l.ctx, [&]() -> awaitable<void> {
                  co_await at_client.stream->write_all(hello);
                  n = co_await at_server.stream->read_some(got);
              }),
              "");
    got.resize(n);
    EXPECT_EQ(got, hello);
}

TEST(TlsStream, APeerThatAnswersWithoutTlsIsNamed) {
    Loopback l;
    const std::string banner = "SSH-2.0-OpenSSH_9.2p1\r\n";
    asio::write(l.server, asio::buffer(banner));
    TlsContext tls(crypto::Identity::generate(), false);
    bool not_burrow = false;
    std::string what;
    EXPECT_EQ(run_task(l.ctx,
                       [&]() -> awaitable<void> {
                           try {
                               (void)co_await tls_handshake(tls, std::move(l.client), 10s);
                           } catch (const NotBurrowPeer& e) {
                               not_burrow = true;
                               what = e.what();
                           }
                       }),
              "");
    EXPECT_TRUE(not_burrow);
    EXPECT_NE(what.find("ssh server"), std::string::npos) << what;
}

TEST(TlsStream, ASilentPeerRunsIntoTheDeadline) {
    Loopback l;
    TlsContext tls(crypto::Identity::generate(), false);
    const std::string failure = client_failure(l, tls, 200ms);
    EXPECT_NE(failure.find("timed out"), std::string::npos) << failure;
}

TEST(TlsStream, APeerThatClosesMidHandshakeFails) {
    Loopback l;
    l.server.close();
    TlsContext tls(crypto::Identity::generate(), false);
    EXPECT_NE(client_failure(l, tls), "");
}

TEST(TlsStream, ABusyServerIsReportedAsBusy) {
    Loopback l;
    refuse_busy(l.server);
    TlsContext tls(crypto::Identity::generate(), false);
    bool busy = false;
    EXPECT_EQ(run_task(l.ctx,
                       [&]() -> awaitable<void> {
                           try {
                               (void)co_await tls_handshake(tls, std::move(l.client), 10s);
                           } catch (const PeerBusy&) {
                               busy = true;
                           }
                       }),
              "");
    EXPECT_TRUE(busy);
}

}  // namespace
}  // namespace burrow::io
