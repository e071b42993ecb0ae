#pragma once
// A session's connection to or at the relay: a TLS 1.3 handshake that yields
// the peer's identity key (crypto/tls_identity.hpp) and the keys of the
// burrow records that follow it (io/link_stream.hpp). OpenSSL's headers stay
// in the .cpp files.
#include <chrono>
#include <memory>
#include <stdexcept>

#include "crypto/identity.hpp"
#include "io/asio.hpp"
#include "io/byte_stream.hpp"

namespace burrow::io {

class TlsContext {
public:
    TlsContext(const crypto::Identity& identity, bool server);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    struct Impl;
    Impl& impl() noexcept { return *impl_; }
    bool server() const noexcept { return server_; }

private:
    std::unique_ptr<Impl> impl_;
    bool server_;
};

struct TlsResult {
    std::unique_ptr<ByteStream> stream;
    crypto::PublicKey peer_key;
};

// The peer is not a burrow peer at all: it answered without TLS (an ssh or
// HTTP server, say), or speaks TLS without burrow's ALPN or identity. The
// text says what it did, for "HOST:PORT is not a burrow relay: ...".
struct NotBurrowPeer : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Runs the handshake on a connected socket within `timeout`. Throws
// system_error, NotBurrowPeer or runtime_error with a one-line reason on
// failure (timeout, not TLS 1.3, no ALPN "burrow/1", no Ed25519 certificate);
// OpenSSL's own text goes to the debug log.
awaitable<TlsResult> tls_handshake(TlsContext& ctx, tcp::socket socket, std::chrono::milliseconds timeout);

}  // namespace burrow::io
