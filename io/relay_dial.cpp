#include "io/relay_dial.hpp"

#include <spdlog/spdlog.h>

#include "crypto/known_peers.hpp"
#include "io/tls_stream.hpp"

namespace burrow::io {

namespace {

void check_relay_key(const HostPort& relay, const crypto::PublicKey& key, const RelayTrust& trust) {
    const std::string name = relay.str();
    if (trust.pinned) {
        if (key != *trust.pinned)
            throw RelayKeyRefused("RELAY KEY CHANGED: relay " + name + " presented key " + key.fingerprint() + ", but " +
                                  (trust.pinned_by.empty() ? "the pinned relay key" : trust.pinned_by) + " says " +
                                  trust.pinned->fingerprint() +
                                  ". Someone may be intercepting; if the relay's key really changed, put its new key "
                                  "(burrow id on the relay) in " +
                                  (trust.pinned_by.empty() ? "the pin" : trust.pinned_by));
        return;
    }
    const crypto::KnownPeers known(trust.known_relays);
    switch (known.check(name, key)) {
        case crypto::KnownPeers::Check::match: return;
        case crypto::KnownPeers::Check::mismatch:
            throw RelayKeyRefused("RELAY KEY CHANGED: relay " + name + " presented " + key.fingerprint() + ", but " +
                                  known.find(name)->fingerprint() + " is pinned in " + known.path() +
                                  ". Someone may be intercepting; if the relay's key really changed, run "
                                  "`burrow known rm " + name + "` (or pin the new key with --relay-key)");
        case crypto::KnownPeers::Check::unknown:
            known.add(name, key);
            spdlog::warn("relay {} is new: trusting its key {} from now on (pinned in {})", name, key.fingerprint(),
                         known.path());
            return;
    }
}

}  // namespace

awaitable<std::unique_ptr<ByteStream>> dial_relay(const HostPort& relay, TlsContext& tls, const RelayTrust& trust,
                                                  std::chrono::milliseconds timeout) {
    std::unique_ptr<TcpByteStream> tcp_stream;
    try {
        tcp_stream = co_await dial_tcp(relay);
    } catch (const boost::system::system_error& e) {
        throw std::runtime_error("relay " + relay.str() + " unreachable: " + e.code().message());
    }
    TlsResult result;
    try {
        result = co_await tls_handshake(tls, std::move(tcp_stream->socket()), timeout);
    } catch (const NotBurrowPeer& e) {
        throw std::runtime_error(relay.str() + " is not a burrow relay: " + e.what());
    } catch (const std::exception& e) {
        throw std::runtime_error("relay " + relay.str() + ": " + e.what());
    }
    check_relay_key(relay, result.peer_key, trust);
    co_return std::move(result.stream);
}

}  // namespace burrow::io
