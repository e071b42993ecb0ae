// io::tls_handshake on loopback TCP: the keys and link it yields, and how a
// peer that is no burrow peer, is silent or is busy ends it. The peers that
// are not burrow are plain OpenSSL, each in a thread on its own descriptor.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "crypto/tls_identity.hpp"
#include "io/tls_stream.hpp"
#include "tests/support/log_capture.hpp"
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

Bytes pattern_bytes(std::size_t n) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i * 7);
    return out;
}

// What the client's handshake threw, or "" if it succeeded.
std::string client_failure(Loopback& l, TlsContext& tls, std::chrono::milliseconds timeout = 10s) {
    return run_task(l.ctx,
                    [&]() -> awaitable<void> { (void)co_await tls_handshake(tls, std::move(l.client), timeout); });
}

struct SslCtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtx = std::unique_ptr<SSL_CTX, SslCtxFree>;

constexpr unsigned char kBurrowAlpn[] = {8, 'b', 'u', 'r', 'r', 'o', 'w', '/', '1'};
constexpr unsigned char kH2Alpn[] = {2, 'h', '2'};
constexpr std::uint8_t kBusyAlert[] = {21, 3, 3, 0, 2, 2, 80};

int select_burrow(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
                  void*) {
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen, kBurrowAlpn, sizeof kBurrowAlpn, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

// A TLS 1.3 server context whose certificate is a self-signed ECDSA P-256 one, speaking burrow/1.
SslCtx p256_server_context() {
    SslCtx ctx(SSL_CTX_new(TLS_server_method()));
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("p256"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, key);
    X509_sign(cert, key, EVP_sha256());
    SSL_CTX_use_certificate(ctx.get(), cert);
    SSL_CTX_use_PrivateKey(ctx.get(), key);
    X509_free(cert);
    EVP_PKEY_free(key);
    SSL_CTX_set_alpn_select_cb(ctx.get(), select_burrow, nullptr);
    return ctx;
}

// burrow's own context with a fresh identity, for a plain OpenSSL peer to change.
SslCtx burrow_context(bool server) { return SslCtx(crypto::make_tls_context(crypto::Identity::generate(), server)); }

// A plain OpenSSL peer on a copy of `socket`'s descriptor (the socket itself
// is closed), in a thread: it runs the handshake, sends `after` as TLS
// application data if the handshake succeeded, then reads until the other
// side closes.
class RawTlsPeer {
public:
    RawTlsPeer(SslCtx ctx, tcp::socket& socket, bool server, Bytes after = {})
        : ctx_(std::move(ctx)), fd_(::dup(socket.native_handle())) {
        error_code ignored;
        socket.close(ignored);
        ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
        const timeval hang{30, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &hang, sizeof hang);
        thread_ = std::thread([this, server, after = std::move(after)] {
            sigset_t pipe;
            sigemptyset(&pipe);
            sigaddset(&pipe, SIGPIPE);
            pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
            SSL* ssl = SSL_new(ctx_.get());
            SSL_set_fd(ssl, fd_);
            handshake_ok_ = (server ? SSL_accept(ssl) : SSL_connect(ssl)) == 1;
            if (!handshake_ok_) error_ = crypto::tls_last_error();
            if (handshake_ok_ && !after.empty()) (void)SSL_write(ssl, after.data(), static_cast<int>(after.size()));
            char scratch[4096];
            while (::recv(fd_, scratch, sizeof scratch, 0) > 0) {
            }
            SSL_free(ssl);
        });
    }
    ~RawTlsPeer() {
        join();
        ::close(fd_);
    }
    RawTlsPeer(const RawTlsPeer&) = delete;
    RawTlsPeer& operator=(const RawTlsPeer&) = delete;

    // Waits until the peer saw the other side close.
    void join() {
        if (thread_.joinable()) thread_.join();
    }
    bool handshake_ok() const { return handshake_ok_; }
    const std::string& error() const { return error_; }

private:
    SslCtx ctx_;
    int fd_;
    bool handshake_ok_ = false;
    std::string error_;
    std::thread thread_;
};

// How one burrow side's handshake ended.
struct Outcome {
    std::string failure;  // "" if it succeeded
    bool not_burrow = false;
    bool busy = false;
    TlsResult result;
};

Outcome handshake(asio::io_context& ctx, TlsContext& tls, tcp::socket socket, HandshakeStop* stop = nullptr) {
    Outcome out;
    out.failure = run_task(ctx, [&]() -> awaitable<void> {
        try {
            out.result = co_await tls_handshake(tls, std::move(socket), 10s, stop);
        } catch (const NotBurrowPeer&) {
            out.not_burrow = true;
            throw;
        } catch (const PeerBusy&) {
            out.busy = true;
            throw;
        }
    });
    return out;
}

// A burrow client's (or server's) handshake on its end of `l`.
Outcome burrow_side(Loopback& l, bool server) {
    TlsContext tls(crypto::Identity::generate(), server);
    return handshake(l.ctx, tls, std::move(server ? l.server : l.client));
}

// A burrow server's handshake on `socket`, which HandshakeStop can end.
struct StoppableServer {
    TlsContext tls{crypto::Identity::generate(), true};
    HandshakeStop stop;
    std::optional<bool> failed;

    StoppableServer(asio::io_context& ctx, tcp::socket& socket) {
        asio::co_spawn(
            ctx,
            [this, &socket]() -> awaitable<void> {
                (void)co_await tls_handshake(tls, std::move(socket), 10s, &stop);
            },
            [this](std::exception_ptr e) { failed = static_cast<bool>(e); });
    }
    // Ends the handshake as busy; true if tls_handshake then threw.
    bool stop_as_busy(asio::io_context& ctx) {
        stop.busy();
        return test::run_until(ctx, [&] { return failed.has_value(); }) && *failed;
    }
};

// The ClientHello a burrow client sends first.
Bytes client_hello() {
    auto ctx = burrow_context(false);
    SSL* ssl = SSL_new(ctx.get());
    SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_connect_state(ssl);
    (void)SSL_do_handshake(ssl);
    char* data = nullptr;
    const long len = BIO_get_mem_data(SSL_get_wbio(ssl), &data);
    Bytes out(data, data + std::max(len, 0L));
    SSL_free(ssl);
    return out;
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

TEST(TlsStream, APeerThatAnswersInHttpOrAnythingElseIsNamed) {
    using Case = std::pair<std::string, std::string>;  // what the peer sends first, what the client says of it
    const Case cases[] = {{"HTTP/1.1 400 Bad Request\r\n\r\n", "it answered in plain HTTP \u2014 is it a web server?"},
                          {"220 mail ESMTP\r\n", "it answered without TLS"}};
    for (const auto& [banner, said] : cases) {
        Loopback l;
        asio::write(l.server, asio::buffer(banner));
        const Outcome out = burrow_side(l, false);
        EXPECT_TRUE(out.not_burrow) << banner;
        EXPECT_EQ(out.failure, said);
    }
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

TEST(TlsStream, AServerThatIgnoresTheAlpnIsNoBurrowPeer) {
    Loopback l;
    auto ctx = burrow_context(true);
    SSL_CTX_set_alpn_select_cb(ctx.get(), nullptr, nullptr);
    RawTlsPeer server(std::move(ctx), l.server, true);
    const Outcome out = burrow_side(l, false);
    EXPECT_TRUE(out.not_burrow);
    EXPECT_EQ(out.failure, "it speaks TLS, but not burrow/1 (ALPN)");
    EXPECT_FALSE(out.result.stream);
    server.join();
    EXPECT_TRUE(server.handshake_ok()) << server.error();
}

TEST(TlsStream, AClientThatOffersNoAlpnIsNoBurrowPeer) {
    Loopback l;
    auto ctx = burrow_context(false);
    ASSERT_EQ(SSL_CTX_set_alpn_protos(ctx.get(), nullptr, 0), 0);
    RawTlsPeer client(std::move(ctx), l.client, false);
    const Outcome out = burrow_side(l, true);
    EXPECT_TRUE(out.not_burrow);
    EXPECT_EQ(out.failure, "it speaks TLS, but not burrow/1 (ALPN)");
    EXPECT_FALSE(out.result.stream);
}

TEST(TlsStream, AClientThatOffersAnotherAlpnGetsAFatalAlert) {
    Loopback l;
    auto ctx = burrow_context(false);
    ASSERT_EQ(SSL_CTX_set_alpn_protos(ctx.get(), kH2Alpn, sizeof kH2Alpn), 0);
    RawTlsPeer client(std::move(ctx), l.client, false);
    const Outcome out = burrow_side(l, true);
    EXPECT_NE(out.failure.find("TLS handshake failed: "), std::string::npos) << out.failure;
    EXPECT_NE(out.failure.find("no application protocol"), std::string::npos) << out.failure;
    EXPECT_FALSE(out.result.stream);
    client.join();
    EXPECT_FALSE(client.handshake_ok());
    EXPECT_NE(client.error().find("no application protocol"), std::string::npos) << client.error();
}

TEST(TlsStream, AServerWithAP256CertificateIsNoBurrowPeer) {
    Loopback l;
    RawTlsPeer server(p256_server_context(), l.server, true);
    const Outcome out = burrow_side(l, false);
    EXPECT_TRUE(out.not_burrow);
    EXPECT_EQ(out.failure, "it speaks TLS, but presented no burrow (Ed25519) identity");
    EXPECT_FALSE(out.result.stream);
    server.join();
    EXPECT_TRUE(server.handshake_ok()) << server.error();
}

// No read-ahead: TLS records right behind the client's Finished stay in the
// socket, where the link reads them as link records and refuses them.
TEST(TlsStream, TlsRecordsRightAfterTheHandshakeAreRefusedByTheLink) {
    Loopback l;
    RawTlsPeer client(burrow_context(false), l.client, false, pattern_bytes(6000));
    Outcome out = burrow_side(l, true);
    ASSERT_EQ(out.failure, "");
    ASSERT_TRUE(out.result.stream);
    Bytes got(64 * 1024);
    const std::string read_failure =
        run_task(l.ctx, [&]() -> awaitable<void> { (void)co_await out.result.stream->read_some(got); });
    EXPECT_EQ(read_failure, "link: a record failed authentication (altered or injected on the way)");
    out.result.stream->close();
    client.join();
    EXPECT_TRUE(client.handshake_ok()) << client.error();
}

TEST(TlsStream, AServerStoppedAsBusyBeforeSendingAnythingSendsTheBusyAlert) {
    Loopback l;
    StoppableServer server(l.ctx, l.server);
    ASSERT_TRUE(test::run_until(l.ctx, [&] { return static_cast<bool>(server.stop.busy); }));
    EXPECT_TRUE(server.stop_as_busy(l.ctx));
    EXPECT_FALSE(server.stop.busy) << "cleared once the handshake is over";
    const Outcome out = burrow_side(l, false);
    EXPECT_TRUE(out.busy) << out.failure;
}

TEST(TlsStream, AServerStoppedAsBusyAfterItsFlightClosesWithoutTheAlert) {
    Loopback l;
    const Bytes hello = client_hello();
    ASSERT_FALSE(hello.empty());
    asio::write(l.client, asio::buffer(hello));
    StoppableServer server(l.ctx, l.server);
    ASSERT_TRUE(test::run_until(l.ctx, [&] { return l.client.available() > 0; }));
    ASSERT_TRUE(server.stop.busy);
    EXPECT_TRUE(server.stop_as_busy(l.ctx));
    Bytes got;
    error_code ec;
    for (;;) {
        std::uint8_t buf[4096];
        const std::size_t n = l.client.read_some(asio::buffer(buf), ec);
        if (ec) break;
        got.insert(got.end(), buf, buf + n);
    }
    EXPECT_TRUE(ec == asio::error::eof) << ec.message();
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got[0], 22) << "the server's flight starts with a handshake record";
    EXPECT_EQ(std::search(got.begin(), got.end(), std::begin(kBusyAlert), std::end(kBusyAlert)), got.end());
}

TEST(TlsStream, APeerThatResetsMidHandshakeIsASocketError) {
    Loopback l;
    TlsContext tls(crypto::Identity::generate(), false);
    std::string failure = "(did not finish)";
    asio::co_spawn(
        l.ctx, [&]() -> awaitable<void> { (void)co_await tls_handshake(tls, std::move(l.client), 10s); },
        [&](std::exception_ptr e) {
            failure.clear();
            try {
                if (e) std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                failure = ex.what();
            }
        });
    ASSERT_TRUE(test::run_until(l.ctx, [&] { return l.server.available() > 0; })) << "no ClientHello";
    l.server.set_option(asio::socket_base::linger(true, 0));
    l.server.close();
    ASSERT_TRUE(test::run_until(l.ctx, [&] { return failure != "(did not finish)"; }));
    EXPECT_EQ(failure, "Connection reset by peer");
}

TEST(TlsStream, ACongestionControlTheKernelRefusesIsSaidAndTheHandshakeGoesOn) {
    testing::LogCapture log;
    Loopback l;
    StoppableServer server(l.ctx, l.server);
    TlsContext tls(crypto::Identity::generate(), false, "no-such-congestion-control");
    const Outcome out = handshake(l.ctx, tls, std::move(l.client));
    EXPECT_EQ(out.failure, "");
    EXPECT_TRUE(out.result.stream);
    ASSERT_TRUE(test::run_until(l.ctx, [&] { return server.failed.has_value(); }));
    EXPECT_FALSE(*server.failed);
    EXPECT_NE(log.text().find("warning tcp_congestion = \"no-such-congestion-control\": the kernel refused it"),
              std::string::npos)
        << log.text();
}

}  // namespace
}  // namespace burrow::io
