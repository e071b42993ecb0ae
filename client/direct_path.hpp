#pragma once
// The direct path to an endpoint: the relay names the endpoint's key and the
// addresses its direct listener may be reached at (DIRECT_REPLY); they are
// dialed at once, and the first TLS session that proves that key becomes a
// session of its own, without the relay. Streams on it are checked and
// encrypted end to end exactly as through the relay.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "client/relay_link.hpp"

namespace burrow::client {

struct DirectSession {
    std::shared_ptr<io::Session> session;
    std::string candidate;  // the address that answered first
    crypto::PublicKey key;  // the endpoint's, as its TLS handshake proved it
};

// How long the candidates get, all together: a path that takes longer is not worth waiting for.
inline constexpr auto kDirectDialTimeout = std::chrono::seconds(3);

// Null with `why` when no candidate completes TLS with the endpoint's key
// within `timeout`; the session is not resumable, and quick to give up on a
// silent path (io::Liveness::direct()), so that new streams fall back soon.
io::awaitable<std::optional<DirectSession>> open_direct_session(const ClientOptions& options, proto::DirectReply reply,
                                                                std::shared_ptr<ClientPeer> peer,
                                                                std::chrono::milliseconds timeout, std::string& why);

}  // namespace burrow::client
