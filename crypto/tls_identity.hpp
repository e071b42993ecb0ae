#pragma once
// OpenSSL side of the transport: a TLS 1.3-only SSL_CTX that presents a
// self-signed certificate around the identity's Ed25519 key and speaks ALPN
// "burrow/1". Certificates are not checked against any CA: the caller
// compares the peer's key (tls_peer_key) with a pinned or allowed key right
// after the handshake, before any application byte is read or written.
#include <optional>
#include <string>

#include "crypto/identity.hpp"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace burrow::crypto {

inline constexpr char kAlpn[] = "burrow/1";

struct TlsError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A new SSL_CTX owned by the caller (SSL_CTX_free); throws TlsError.
SSL_CTX* make_tls_context(const Identity& identity, bool server);

// The peer's Ed25519 key from its certificate, if it presented one.
std::optional<PublicKey> tls_peer_key(SSL* ssl);

// True when ALPN settled on "burrow/1".
bool tls_alpn_ok(SSL* ssl);

// The last OpenSSL error, as one line.
std::string tls_last_error();

}  // namespace burrow::crypto
