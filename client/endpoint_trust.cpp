#include <spdlog/spdlog.h>

#include <utility>

#include "client/client.hpp"
#include "crypto/known_peers.hpp"
#include "io/e2e_codec.hpp"

namespace burrow::client {

namespace {

// Passes everything to the end-to-end codec, and calls `proven` once the
// handshake has verified the endpoint's key (the codec may encode from then on).
class PinWhenProven final : public io::StreamCodec {
public:
    PinWhenProven(std::unique_ptr<io::StreamCodec> inner, std::function<void()> proven)
        : inner_(std::move(inner)), proven_(std::move(proven)) {}
    std::vector<std::uint8_t> take_output() override { return inner_->take_output(); }
    std::error_code decode(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& plain) override {
        const auto ec = inner_->decode(in, plain);
        if (!ec && proven_ && inner_->can_encode()) std::exchange(proven_, nullptr)();
        return ec;
    }
    bool can_encode() const override { return inner_->can_encode(); }
    bool sends_records() const override { return inner_->sends_records(); }
    std::size_t plain_fits(std::size_t room) const override { return inner_->plain_fits(room); }
    std::error_code encode(std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& out) override {
        return inner_->encode(plain, out);
    }
    std::error_code finish(std::vector<std::uint8_t>& out) override { return inner_->finish(out); }
    std::error_code on_peer_fin() const override { return inner_->on_peer_fin(); }

private:
    std::unique_ptr<io::StreamCodec> inner_;
    std::function<void()> proven_;
};

}  // namespace

std::string endpoint_pin_name(const std::string& endpoint, const io::HostPort& relay) {
    return endpoint + "@" + relay.str();
}

std::unique_ptr<io::StreamCodec> make_client_codec(const ClientOptions& options, const std::string& endpoint,
                                                   const std::string& target,
                                                   const std::optional<proto::PeerKey>& endpoint_key,
                                                   std::string& error) {
    if (!endpoint_key) {
        error = "the relay named no key for endpoint '" + endpoint + "'";
        return nullptr;
    }
    const crypto::PublicKey key{*endpoint_key};
    auto codec = io::make_e2e_codec(crypto::E2eHandshake::client(*options.identity, key, target));
    if (const auto pin = options.endpoint_keys.find(endpoint); pin != options.endpoint_keys.end()) {
        if (pin->second == key) return codec;
        error = "endpoint '" + endpoint + "' has key " + key.fingerprint() + ", but the client config pins " +
                pin->second.fingerprint() + ": refusing";
        return nullptr;
    }
    const std::string scoped = endpoint_pin_name(endpoint, options.relay);
    try {
        const crypto::KnownPeers known(options.known_endpoints);
        // Pins made before they were scoped by relay go by the endpoint's name alone.
        auto check = known.check(scoped, key);
        std::string name = scoped;
        if (check == crypto::KnownPeers::Check::unknown && known.find(endpoint)) {
            check = known.check(endpoint, key);
            name = endpoint;
        }
        switch (check) {
            case crypto::KnownPeers::Check::match: return codec;
            case crypto::KnownPeers::Check::mismatch:
                error = "ENDPOINT KEY CHANGED: '" + endpoint + "' now has key " + key.fingerprint() + ", but " +
                        known.find(name)->fingerprint() + " is pinned in " + known.path() +
                        ". Someone may be intercepting; if the endpoint's key really changed, run: burrow known rm " +
                        endpoint;
                return nullptr;
            case crypto::KnownPeers::Check::unknown: break;
        }
    } catch (const std::exception& e) {
        error = e.what();
        return nullptr;
    }
    if (options.strict_endpoint_keys) {
        error = "endpoint '" + endpoint + "' has no pinned key and strict_endpoint_keys is on: add `" + endpoint +
                " = \"KEY\"` under [endpoints] in the client config, with the key `burrow id` prints on " + endpoint;
        return nullptr;
    }
    // Trusted on first use, but only once the endpoint has proven it holds the key.
    return std::make_unique<PinWhenProven>(std::move(codec), [path = options.known_endpoints, scoped, endpoint, key,
                                                               relay = options.relay.str()] {
        try {
            const crypto::KnownPeers known(path);
            if (known.check(scoped, key) != crypto::KnownPeers::Check::unknown) return;  // another stream was first
            known.add(scoped, key);
            spdlog::warn("endpoint '{}' at relay {} is new: it proved key {}; trusting it from now on (pinned in {}). "
                         "Compare with `burrow id --fingerprint` on {}",
                         endpoint, relay, key.fingerprint(), known.path(), endpoint);
        } catch (const std::exception& e) {
            spdlog::error("endpoint '{}': could not pin its key: {}", endpoint, e.what());
        }
    });
}

}  // namespace burrow::client
