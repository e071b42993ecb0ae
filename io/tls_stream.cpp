#include "io/tls_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string_view>
#include <vector>

#include "crypto/link_keys.hpp"
#include "crypto/tls_identity.hpp"
#include "io/deadline.hpp"
#include "io/link_stream.hpp"

// OpenSSL runs the handshake straight on the socket's descriptor for reading
// (no read-ahead: it reads exactly the handshake's records, so the first
// bytes after it stay in the socket) and writes into a memory BIO that is
// sent with one write. Once done, the link's keys are exported, the SSL object
// is freed, and the socket carries burrow records (io/link_stream.hpp).

namespace burrow::io {

struct TlsContext::Impl {
    SSL_CTX* ctx;
    explicit Impl(SSL_CTX* native) : ctx(native) {}
    ~Impl() { SSL_CTX_free(ctx); }
};

TlsContext::TlsContext(const crypto::Identity& identity, bool server, std::string tcp_congestion)
    : impl_(std::make_unique<Impl>(crypto::make_tls_context(identity, server))),
      server_(server),
      tcp_congestion_(std::move(tcp_congestion)) {}

TlsContext::~TlsContext() = default;

namespace {

constexpr int kNotSentLowat = 128 * 1024;

// The first line of a /proc/sys file, or "unknown".
std::string sysctl_text(const char* path) {
    std::ifstream in(path);
    std::string line;
    return std::getline(in, line) && !line.empty() ? line : "unknown";
}

// Sets the socket's congestion control. A process says once that the kernel
// refused it; its connections then keep the system's default.
void use_congestion_control(int fd, const std::string& name) {
    if (name.empty()) return;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name.data(), static_cast<socklen_t>(name.size())) == 0) return;
    const int error = errno;
    static std::atomic<bool> said{false};
    if (said.exchange(true)) return;
    spdlog::warn("tcp_congestion = \"{}\": the kernel refused it ({}); connections use the system's default, {} "
                 "(available: {})",
                 name, std::strerror(error), sysctl_text("/proc/sys/net/ipv4/tcp_congestion_control"),
                 sysctl_text("/proc/sys/net/ipv4/tcp_available_congestion_control"));
}

// What the peer's first bytes say it is, when they are not a TLS record
// (content types 20..24); empty when they are, or when nothing came.
std::string non_tls_answer(std::string_view first) {
    if (first.empty() || (first[0] >= 20 && first[0] <= 24)) return {};
    if (first.starts_with("SSH-")) return "it answered without TLS \u2014 is it an ssh server?";
    if (first.starts_with("HTTP")) return "it answered in plain HTTP \u2014 is it a web server?";
    return "it answered without TLS";
}

// `sys_errno`: errno right after the failed call; `first`: the first bytes the peer sent.
[[noreturn]] void throw_tls(const char* what, int ssl_error, int sys_errno, std::string_view first) {
    if (ssl_error == SSL_ERROR_SYSCALL && sys_errno != 0)
        throw boost::system::system_error(error_code(sys_errno, boost::system::system_category()));
    if (ssl_error == SSL_ERROR_ZERO_RETURN || (ssl_error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0))
        throw std::runtime_error(std::string(what) + ": the peer closed the connection");
    if (ERR_GET_REASON(ERR_peek_error()) == SSL_AD_REASON_OFFSET + SSL_AD_INTERNAL_ERROR) {
        spdlog::debug("{}: {}", what, crypto::tls_last_error());
        throw PeerBusy(std::string(what) + ": the relay is busy (too many connections waiting to authenticate)");
    }
    const std::string detail = crypto::tls_last_error();
    if (auto answer = non_tls_answer(first); !answer.empty()) {
        spdlog::debug("{}: {}", what, detail);
        throw NotBurrowPeer(answer);
    }
    throw std::runtime_error(std::string(what) + ": " + detail);
}

class TlsHandshake {
public:
    TlsHandshake(tcp::socket socket, SSL_CTX* ctx, bool server, const std::string& tcp_congestion)
        : tcp_(std::make_unique<TcpByteStream>(std::move(socket))), ssl_(SSL_new(ctx)) {
        if (!ssl_) throw std::runtime_error("SSL_new: " + crypto::tls_last_error());
        const int fd = tcp_->socket().native_handle();
        enable_keepalive(tcp_->socket());
        use_congestion_control(fd, tcp_congestion);
        // Keep the bytes the kernel has not sent yet small, so that they queue in the mux, where a
        // keystroke can pass a bulk transfer, rather than in the socket, where it cannot.
        const int lowat = kNotSentLowat;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
        BIO* rbio = BIO_new_socket(fd, BIO_NOCLOSE);
        BIO* wbio = BIO_new(BIO_s_mem());
        if (!rbio || !wbio) {
            BIO_free(rbio);
            BIO_free(wbio);
            throw std::runtime_error("BIO_new: " + crypto::tls_last_error());
        }
        SSL_set_bio(ssl_, rbio, wbio);
        wbio_ = wbio;
        SSL_set_read_ahead(ssl_, 0);
        SSL_set_msg_callback(ssl_, &TlsHandshake::on_message);
        SSL_set_msg_callback_arg(ssl_, this);
        SSL_set_options(ssl_, SSL_OP_IGNORE_UNEXPECTED_EOF);  // a close mid-handshake: "the peer closed the connection"
        if (server)
            SSL_set_accept_state(ssl_);
        else
            SSL_set_connect_state(ssl_);
    }
    ~TlsHandshake() { SSL_free(ssl_); }
    TlsHandshake(const TlsHandshake&) = delete;
    TlsHandshake& operator=(const TlsHandshake&) = delete;

    SSL* native() noexcept { return ssl_; }
    std::string peer() const { return tcp_->describe(); }

    awaitable<void> run() {
        for (;;) {
            throw_if_closed();
            ERR_clear_error();
            const int r = SSL_do_handshake(ssl_);
            const int sys_errno = errno;
            const int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
            co_await send_records();  // an alert, if the handshake failed, tells the peer why
            if (r == 1) co_return;
            if (err != SSL_ERROR_WANT_READ) throw_tls("TLS handshake failed", err, sys_errno, first_header_);
            co_await tcp_->wait_readable();
        }
    }

    // The connection, for the records that follow the handshake.
    std::unique_ptr<TcpByteStream> take_stream() noexcept { return std::move(tcp_); }

    void close() noexcept { tcp_->close(); }
    void stop_busy() noexcept {
        if (sent_)
            tcp_->close();
        else
            refuse_busy(tcp_->socket());
    }

private:
    // OpenSSL reads the descriptor number it was given: once the socket is
    // closed that number may already belong to another connection.
    void throw_if_closed() {
        if (!tcp_->socket().is_open()) throw boost::system::system_error(asio::error::bad_descriptor);
    }

    // Sends what OpenSSL wrote into the memory BIO.
    awaitable<void> send_records() {
        char* data = nullptr;
        const long len = BIO_get_mem_data(wbio_, &data);
        if (len <= 0) co_return;
        sent_ = true;
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
        std::vector<std::uint8_t> out(bytes, bytes + len);
        (void)BIO_reset(wbio_);
        co_await tcp_->write_all(out);
    }

    // Keeps the first record header the peer sent, to tell what it is if it is not TLS.
    static void on_message(int write_p, int, int content_type, const void* buf, std::size_t len, SSL*, void* arg) {
        auto* self = static_cast<TlsHandshake*>(arg);
        if (write_p || content_type != SSL3_RT_HEADER || !self->first_header_.empty()) return;
        self->first_header_.assign(static_cast<const char*>(buf), len);
    }

    std::unique_ptr<TcpByteStream> tcp_;  // sets no-delay and non-blocking, names the peer
    std::string first_header_;
    bool sent_ = false;  // anything went to the peer
    SSL* ssl_;
    BIO* wbio_ = nullptr;  // owned by ssl_
};

}  // namespace

void refuse_busy(tcp::socket& socket) noexcept {
    if (!socket.is_open()) return;
    const int fd = socket.native_handle();
    std::uint8_t scratch[4096];
    for (int i = 0; i < 16 && ::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) > 0; ++i) {
    }
    static constexpr std::uint8_t kBusyAlert[] = {21, 3, 3, 0, 2, 2, SSL_AD_INTERNAL_ERROR};  // fatal internal_error
    (void)::send(fd, kBusyAlert, sizeof kBusyAlert, MSG_DONTWAIT | MSG_NOSIGNAL);
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
}

awaitable<TlsResult> tls_handshake(TlsContext& ctx, tcp::socket socket, std::chrono::milliseconds timeout,
                                   HandshakeStop* stop) {
    auto tls = std::make_unique<TlsHandshake>(std::move(socket), ctx.impl().ctx, ctx.server(), ctx.tcp_congestion());
    const std::string peer = tls->peer();
    Deadline deadline(co_await asio::this_coro::executor, timeout, [t = tls.get()] { t->close(); });
    if (stop) stop->busy = [t = tls.get()] { t->stop_busy(); };
    std::exception_ptr failure;
    try {
        co_await tls->run();
    } catch (const NotBurrowPeer&) {
        failure = std::current_exception();
    } catch (const PeerBusy&) {
        failure = std::current_exception();
    } catch (const std::exception& e) {
        failure = std::make_exception_ptr(std::runtime_error(e.what()));
    }
    if (stop) stop->busy = nullptr;
    deadline.disarm();
    if (deadline.expired()) throw std::runtime_error("TLS handshake with " + peer + " timed out");
    if (failure) std::rethrow_exception(failure);
    SSL* native = tls->native();
    if (!crypto::tls_alpn_ok(native)) throw NotBurrowPeer("it speaks TLS, but not burrow/1 (ALPN)");
    auto key = crypto::tls_peer_key(native);
    if (!key) throw NotBurrowPeer("it speaks TLS, but presented no burrow (Ed25519) identity");
    if (SSL_has_pending(native)) throw std::runtime_error("peer sent TLS records after the handshake");
    auto keys = crypto::tls_link_keys(native, ctx.server());
    co_return TlsResult{make_link_stream(tls->take_stream(), std::move(keys)), *key};
}

}  // namespace burrow::io
