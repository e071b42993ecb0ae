#include <spdlog/spdlog.h>

#include "client/client.hpp"
#include "crypto/known_peers.hpp"
#include "io/e2e_codec.hpp"

namespace burrow::client {

std::unique_ptr<io::StreamCodec> make_client_codec(const ClientOptions& options, const std::string& endpoint,
                                                   const std::string& target,
                                                   const std::optional<proto::PeerKey>& endpoint_key,
                                                   std::string& error) {
    if (!endpoint_key) {
        error = "the relay named no key for endpoint '" + endpoint + "'";
        return nullptr;
    }
    const crypto::PublicKey key{*endpoint_key};
    if (const auto pin = options.endpoint_keys.find(endpoint); pin != options.endpoint_keys.end()) {
        if (pin->second != key) {
            error = "endpoint '" + endpoint + "' has key " + key.fingerprint() + ", but the client config pins " +
                    pin->second.fingerprint() + ": refusing";
            return nullptr;
        }
    } else {
        try {
            const crypto::KnownPeers known(options.known_endpoints);
            switch (known.check(endpoint, key)) {
                case crypto::KnownPeers::Check::match: break;
                case crypto::KnownPeers::Check::mismatch:
                    error = "ENDPOINT KEY CHANGED: '" + endpoint + "' now has key " + key.fingerprint() + ", but " +
                            known.find(endpoint)->fingerprint() + " is pinned in " + known.path() +
                            ". Someone may be intercepting; if the endpoint's key really changed, run: burrow known rm " +
                            endpoint;
                    return nullptr;
                case crypto::KnownPeers::Check::unknown:
                    known.add(endpoint, key);
                    spdlog::warn("endpoint '{}' is new: trusting its key {} from now on (pinned in {})", endpoint,
                                 key.fingerprint(), known.path());
                    break;
            }
        } catch (const std::exception& e) {
            error = e.what();
            return nullptr;
        }
    }
    return io::make_e2e_codec(crypto::E2eHandshake::client(*options.identity, key, target));
}

}  // namespace burrow::client
