#include "io/tls_stream.hpp"

#include <boost/asio/ssl.hpp>

#include "crypto/tls_identity.hpp"

namespace burrow::io {
namespace ssl = asio::ssl;

struct TlsContext::Impl {
    ssl::context context;
    explicit Impl(SSL_CTX* native) : context(native) {}
};

TlsContext::TlsContext(const crypto::Identity& identity, bool server)
    : impl_(std::make_unique<Impl>(crypto::make_tls_context(identity, server))), server_(server) {}

TlsContext::~TlsContext() = default;

namespace {

class TlsByteStream final : public ByteStream {
public:
    TlsByteStream(std::unique_ptr<ssl::stream<tcp::socket>> stream, std::string peer)
        : stream_(std::move(stream)), peer_(std::move(peer)) {}

    awaitable<std::size_t> read_some(std::span<std::uint8_t> buf) override {
        error_code ec;
        const std::size_t n =
            co_await stream_->async_read_some(asio::buffer(buf.data(), buf.size()), redirect_error(use_awaitable, ec));
        if (ec == asio::error::eof || ec == ssl::error::stream_truncated) co_return 0;
        if (ec) throw boost::system::system_error(ec);
        co_return n;
    }
    awaitable<void> write_all(std::span<const std::uint8_t> bytes) override {
        co_await asio::async_write(*stream_, asio::buffer(bytes.data(), bytes.size()), use_awaitable);
    }
    void shutdown_send() noexcept override {
        error_code ignored;
        stream_->lowest_layer().shutdown(tcp::socket::shutdown_send, ignored);
    }
    void close() noexcept override {
        error_code ignored;
        stream_->lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
        stream_->lowest_layer().close(ignored);
    }
    std::string describe() const override { return peer_; }

private:
    std::unique_ptr<ssl::stream<tcp::socket>> stream_;
    std::string peer_;
};

}  // namespace

awaitable<TlsResult> tls_handshake(TlsContext& ctx, tcp::socket socket, std::chrono::milliseconds timeout) {
    error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    const std::string peer = ec ? "?" : to_string(remote);
    socket.set_option(tcp::no_delay(true), ec);
    enable_keepalive(socket);
    auto stream = std::make_unique<ssl::stream<tcp::socket>>(std::move(socket), ctx.impl().context);
    asio::steady_timer deadline(stream->get_executor(), timeout);
    bool timed_out = false;
    deadline.async_wait([&, s = stream.get()](error_code e) {
        if (e) return;
        timed_out = true;
        error_code ignored;
        s->lowest_layer().close(ignored);
    });
    co_await stream->async_handshake(ctx.server() ? ssl::stream_base::server : ssl::stream_base::client,
                                     redirect_error(use_awaitable, ec));
    deadline.cancel();
    if (timed_out) throw std::runtime_error("TLS handshake with " + peer + " timed out");
    if (ec) {
        std::string what = ec.message();
        if (ec.category() == asio::error::get_ssl_category()) what = "TLS handshake failed: " + what;
        throw std::runtime_error(what);
    }
    SSL* native = stream->native_handle();
    if (!crypto::tls_alpn_ok(native)) throw std::runtime_error("peer does not speak burrow/1 (ALPN)");
    auto key = crypto::tls_peer_key(native);
    if (!key) throw std::runtime_error("peer presented no Ed25519 identity");
    co_return TlsResult{std::make_unique<TlsByteStream>(std::move(stream), peer), *key};
}

}  // namespace burrow::io
