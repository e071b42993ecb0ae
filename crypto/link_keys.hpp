#pragma once
// Keys of the link records (docs/PROTOCOL.md §1.3): once the TLS 1.3
// handshake between a peer and the relay is done, each direction of the
// connection is carried in burrow records (crypto/record.hpp) whose keys come
// from the TLS exporter (RFC 8446 §7.5), so that the TLS connection object
// can be freed.
#include <openssl/types.h>

#include "crypto/record.hpp"

namespace burrow::crypto {

struct LinkKeys {
    RecordSealer sealer;  // what this side sends
    RecordOpener opener;  // what the other side sends
};

// For a completed handshake on `ssl`; `server` is this side's role. The
// cipher follows the negotiated TLS suite (ChaCha20-Poly1305 for
// TLS_CHACHA20_POLY1305_SHA256, AES-256-GCM otherwise), so both sides agree.
// Throws TlsError if the exporter fails.
LinkKeys tls_link_keys(SSL* ssl, bool server);

}  // namespace burrow::crypto
