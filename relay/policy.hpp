#pragma once
// Who may do what on the relay: which keys may register which endpoint
// names, and which `endpoint/service` targets each client key may open.
// Built from the relay config; replaced whole on reload.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/identity.hpp"

namespace burrow::relay {

struct EndpointGrant {
    std::string name;
    crypto::PublicKey key;
};

struct ClientGrant {
    std::string label;                // for logs
    crypto::PublicKey key;
    std::vector<std::string> allow;   // "endpoint/service" patterns; '*' matches within a part
    std::vector<std::string> wake;    // endpoint patterns it may wake (besides those it may open all of)
};

class Policy {
public:
    Policy() = default;
    Policy(std::vector<EndpointGrant> endpoints, std::vector<ClientGrant> clients);

    bool knows(const crypto::PublicKey& key) const;
    bool may_register(const crypto::PublicKey& key, std::string_view name) const;
    bool may_open(const crypto::PublicKey& key, std::string_view target) const;
    // `key` may open every service of `name` ("name/*" or broader), or its `wake` list names it.
    bool may_wake(const crypto::PublicKey& key, std::string_view name) const;
    // Some pattern of `key` matches endpoint `name`, whatever the service.
    bool may_open_some(const crypto::PublicKey& key, std::string_view name) const;
    // Every endpoint name the config grants to some key.
    std::vector<std::string> endpoint_names() const;
    // The key that owns `name`, if any.
    std::optional<crypto::PublicKey> owner_of(std::string_view name) const;
    // "label (SHA256:...)" or the fingerprint alone, for logs and refusals.
    std::string describe(const crypto::PublicKey& key) const;
    // The client's label in the config, or "".
    std::string label_of(const crypto::PublicKey& key) const;
    std::size_t endpoint_grants() const noexcept { return endpoints_.size(); }
    std::size_t client_grants() const noexcept { return clients_.size(); }

private:
    std::vector<EndpointGrant> endpoints_;
    std::vector<ClientGrant> clients_;
};

// Glob match where '*' matches any run of characters other than '/'.
bool target_matches(std::string_view pattern, std::string_view target);

}  // namespace burrow::relay
