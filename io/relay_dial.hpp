#pragma once
// How endpoints and clients reach the relay: TCP, TLS 1.3, then the relay's
// key checked against a pin (--relay-key / relay_key) or, without one, the
// known-relays file: trusted on first use, a changed key refused loudly.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "crypto/identity.hpp"
#include "io/asio.hpp"
#include "io/byte_stream.hpp"
#include "io/dialer.hpp"

namespace burrow::io {

class TlsContext;

struct RelayTrust {
    std::optional<crypto::PublicKey> pinned;
    std::string known_relays;  // file used when nothing is pinned
};

// Throws runtime_error with a line for the user ("relay H:P unreachable: ...",
// "relay H:P key changed ...").
awaitable<std::unique_ptr<ByteStream>> dial_relay(const HostPort& relay, TlsContext& tls, const RelayTrust& trust,
                                                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace burrow::io
