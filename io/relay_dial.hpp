#pragma once
// How endpoints and clients reach the relay: TCP, TLS 1.3, then the relay's
// key checked against a pin (--relay-key / relay_key) or, without one, the
// known-relays file: trusted on first use, a changed key refused loudly.
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "crypto/identity.hpp"
#include "io/asio.hpp"
#include "io/byte_stream.hpp"
#include "io/dialer.hpp"

namespace burrow::io {

class TlsContext;

// The relay's port when an address names none ("--relay vps.example.org").
inline constexpr std::uint16_t kDefaultRelayPort = 7443;

struct RelayTrust {
    std::optional<crypto::PublicKey> pinned;
    std::string pinned_by;     // where the pin came from: "--relay-key", "relay_key in FILE"
    std::string known_relays;  // file used when nothing is pinned
};

// The relay answered with another key than the one pinned. The text names
// both fingerprints and the exact fix (the flag, the config key or the pin).
struct RelayKeyRefused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Throws RelayKeyRefused, or runtime_error with a line for the user
// ("relay H:P unreachable: ...", "H:P is not a burrow relay: ...").
awaitable<std::unique_ptr<ByteStream>> dial_relay(const HostPort& relay, TlsContext& tls, const RelayTrust& trust,
                                                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace burrow::io
