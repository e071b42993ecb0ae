#include "io/tls_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include "crypto/tls_identity.hpp"
#include "io/deadline.hpp"

// OpenSSL runs straight on the socket's descriptor for reading (read-ahead
// into one buffer that holds several records, decrypted in place) and writes
// records into a memory BIO, so that one write_all() is one send() whatever
// the number of records. Asio only waits for readiness and sends.

namespace burrow::io {

struct TlsContext::Impl {
    SSL_CTX* ctx;
    explicit Impl(SSL_CTX* native) : ctx(native) {}
    ~Impl() { SSL_CTX_free(ctx); }
};

TlsContext::TlsContext(const crypto::Identity& identity, bool server)
    : impl_(std::make_unique<Impl>(crypto::make_tls_context(identity, server))), server_(server) {}

TlsContext::~TlsContext() = default;

namespace {

constexpr int kReadBuffer = 64 * 1024;  // up to four full records per recv()
constexpr int kNotSentLowat = 128 * 1024;

// `sys_errno`: errno right after the failed call.
[[noreturn]] void throw_tls(const char* what, int ssl_error, int sys_errno) {
    if (ssl_error == SSL_ERROR_SYSCALL && sys_errno != 0)
        throw boost::system::system_error(error_code(sys_errno, boost::system::system_category()));
    if (ssl_error == SSL_ERROR_ZERO_RETURN || (ssl_error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0))
        throw std::runtime_error(std::string(what) + ": the peer closed the connection");
    throw std::runtime_error(std::string(what) + ": " + crypto::tls_last_error());
}

class TlsByteStream final : public ByteStream {
public:
    TlsByteStream(tcp::socket socket, SSL_CTX* ctx, bool server) : socket_(std::move(socket)), ssl_(SSL_new(ctx)) {
        if (!ssl_) throw std::runtime_error("SSL_new: " + crypto::tls_last_error());
        error_code ec;
        const auto remote = socket_.remote_endpoint(ec);
        peer_ = ec ? "?" : to_string(remote);
        socket_.set_option(tcp::no_delay(true), ec);
        socket_.non_blocking(true, ec);
        enable_keepalive(socket_);
        // Keep the bytes the kernel has not sent yet small, so that they queue in the mux, where a
        // keystroke can pass a bulk transfer, rather than in the socket, where it cannot.
        const int lowat = kNotSentLowat;
        ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
        BIO* rbio = BIO_new_socket(socket_.native_handle(), BIO_NOCLOSE);
        BIO* wbio = BIO_new(BIO_s_mem());
        if (!rbio || !wbio) {
            BIO_free(rbio);
            BIO_free(wbio);
            throw std::runtime_error("BIO_new: " + crypto::tls_last_error());
        }
        SSL_set_bio(ssl_, rbio, wbio);
        wbio_ = wbio;
        SSL_set_read_ahead(ssl_, 1);
        SSL_set_default_read_buffer_len(ssl_, kReadBuffer);
        SSL_set_options(ssl_, SSL_OP_IGNORE_UNEXPECTED_EOF);  // a bare TCP close is end of stream, as before
        if (server)
            SSL_set_accept_state(ssl_);
        else
            SSL_set_connect_state(ssl_);
    }
    ~TlsByteStream() override { SSL_free(ssl_); }
    TlsByteStream(const TlsByteStream&) = delete;
    TlsByteStream& operator=(const TlsByteStream&) = delete;

    SSL* native() noexcept { return ssl_; }

    awaitable<void> handshake() {
        for (;;) {
            throw_if_closed();
            ERR_clear_error();
            const int r = SSL_do_handshake(ssl_);
            const int sys_errno = errno;
            const int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
            co_await send_records();  // an alert, if the handshake failed, tells the peer why
            if (r == 1) co_return;
            if (err != SSL_ERROR_WANT_READ) throw_tls("TLS handshake failed", err, sys_errno);
            co_await socket_.async_wait(tcp::socket::wait_read, use_awaitable);
        }
    }

    std::optional<std::size_t> try_read(std::span<std::uint8_t> buf) override {
        if (at_eof_) return 0;
        throw_if_closed();
        std::size_t got = 0;
        while (got < buf.size()) {
            ERR_clear_error();
            std::size_t n = 0;
            if (SSL_read_ex(ssl_, buf.data() + got, buf.size() - got, &n) == 1) {
                got += n;
                if (!SSL_has_pending(ssl_)) break;  // the next record is not here yet
                continue;
            }
            const int sys_errno = errno;
            const int err = SSL_get_error(ssl_, 0);
            if (err == SSL_ERROR_WANT_READ) {
                if (got > 0) break;
                need_socket_ = true;
                return std::nullopt;
            }
            if (err == SSL_ERROR_ZERO_RETURN) {
                at_eof_ = true;
                break;
            }
            throw_tls("TLS read", err, sys_errno);
        }
        return got;
    }

    awaitable<void> wait_readable() override {
        if (!need_socket_) co_return;
        co_await socket_.async_wait(tcp::socket::wait_read, use_awaitable);
        need_socket_ = false;
    }

    awaitable<void> write_all(std::span<const std::uint8_t> bytes) override {
        if (bytes.empty()) co_return;
        ERR_clear_error();
        std::size_t n = 0;
        if (SSL_write_ex(ssl_, bytes.data(), bytes.size(), &n) != 1 || n != bytes.size()) {
            const int sys_errno = errno;
            throw_tls("TLS write", SSL_get_error(ssl_, 0), sys_errno);
        }
        co_await send_records();
    }

    void shutdown_send() noexcept override {
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
    }
    void close() noexcept override {
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }
    std::string describe() const override { return peer_; }
    std::string peer() const { return peer_; }

private:
    // OpenSSL reads the descriptor number it was given: once the socket is
    // closed that number may already belong to another connection.
    void throw_if_closed() const {
        if (!socket_.is_open()) throw boost::system::system_error(asio::error::bad_descriptor);
    }

    // Sends what OpenSSL wrote into the memory BIO. The bytes are moved out
    // first: the BIO may grow while the send waits.
    awaitable<void> send_records() {
        char* data = nullptr;
        const long len = BIO_get_mem_data(wbio_, &data);
        if (len <= 0) co_return;
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
        std::vector<std::uint8_t> out(bytes, bytes + len);
        (void)BIO_reset(wbio_);
        co_await asio::async_write(socket_, asio::buffer(out), use_awaitable);
    }

    tcp::socket socket_;
    SSL* ssl_;
    BIO* wbio_ = nullptr;  // owned by ssl_
    std::string peer_;
    bool need_socket_ = false;
    bool at_eof_ = false;
};

}  // namespace

awaitable<TlsResult> tls_handshake(TlsContext& ctx, tcp::socket socket, std::chrono::milliseconds timeout) {
    auto stream = std::make_unique<TlsByteStream>(std::move(socket), ctx.impl().ctx, ctx.server());
    const std::string peer = stream->peer();
    Deadline deadline(co_await asio::this_coro::executor, timeout, [s = stream.get()] { s->close(); });
    std::string failure;
    try {
        co_await stream->handshake();
    } catch (const std::exception& e) {
        failure = e.what();
    }
    deadline.disarm();
    if (deadline.expired()) throw std::runtime_error("TLS handshake with " + peer + " timed out");
    if (!failure.empty()) throw std::runtime_error(failure);
    SSL* native = stream->native();
    if (!crypto::tls_alpn_ok(native)) throw std::runtime_error("peer does not speak burrow/1 (ALPN)");
    auto key = crypto::tls_peer_key(native);
    if (!key) throw std::runtime_error("peer presented no Ed25519 identity");
    co_return TlsResult{std::move(stream), *key};
}

}  // namespace burrow::io
