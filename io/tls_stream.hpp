#pragma once
// A session's connection to or at the relay: a TLS 1.3 handshake that yields
// the peer's identity key (crypto/tls_identity.hpp) and the keys of the
// burrow records that follow it (io/link_stream.hpp). OpenSSL's headers stay
// in the .cpp files.
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "crypto/identity.hpp"
#include "io/asio.hpp"
#include "io/byte_stream.hpp"

namespace burrow::io {

class TlsContext {
public:
    // `tcp_congestion`: the congestion control its connections use ("bbr");
    // empty, or one the kernel refuses (said once in the log), leaves the system's default.
    TlsContext(const crypto::Identity& identity, bool server, std::string tcp_congestion = {});
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    struct Impl;
    Impl& impl() noexcept { return *impl_; }
    bool server() const noexcept { return server_; }
    const std::string& tcp_congestion() const noexcept { return tcp_congestion_; }
    // For connections from now on (a reload); open ones keep theirs.
    void set_tcp_congestion(std::string name) { tcp_congestion_ = std::move(name); }

private:
    std::unique_ptr<Impl> impl_;
    bool server_;
    std::string tcp_congestion_;
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

// The relay is busy: it ended the connection before the handshake, with the
// alert refuse_busy() sends.
struct PeerBusy : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Lets the server end a handshake early. Once tls_handshake has started, `busy`
// ends it: with the busy alert if nothing was sent to the peer yet, else by
// closing the connection; tls_handshake then throws. It is cleared when the
// handshake is over.
struct HandshakeStop {
    std::function<void()> busy;
};

// Runs the handshake on a connected socket within `timeout`. Throws
// system_error, NotBurrowPeer, PeerBusy or runtime_error with a one-line
// reason on failure (timeout, not TLS 1.3, no ALPN "burrow/1", no Ed25519
// certificate); OpenSSL's own text goes to the debug log.
awaitable<TlsResult> tls_handshake(TlsContext& ctx, tcp::socket socket, std::chrono::milliseconds timeout,
                                   HandshakeStop* stop = nullptr);

// Ends a connection the server will not handshake with now: drops what the
// peer sent (so the close is not a reset that could overtake the alert), sends
// a plaintext fatal TLS internal_error alert — which a burrow client reads as
// "the relay is busy" — and closes.
void refuse_busy(tcp::socket& socket) noexcept;

}  // namespace burrow::io
