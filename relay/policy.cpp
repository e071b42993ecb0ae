#include "relay/policy.hpp"

#include <fnmatch.h>

#include <algorithm>

namespace burrow::relay {

Policy::Policy(std::vector<EndpointGrant> endpoints, std::vector<ClientGrant> clients)
    : endpoints_(std::move(endpoints)), clients_(std::move(clients)) {}

bool target_matches(std::string_view pattern, std::string_view target) {
    return ::fnmatch(std::string(pattern).c_str(), std::string(target).c_str(), FNM_PATHNAME) == 0;
}

bool Policy::knows(const crypto::PublicKey& key) const {
    return std::any_of(endpoints_.begin(), endpoints_.end(), [&](const auto& g) { return g.key == key; }) ||
           std::any_of(clients_.begin(), clients_.end(), [&](const auto& g) { return g.key == key; });
}

bool Policy::may_register(const crypto::PublicKey& key, std::string_view name) const {
    return std::any_of(endpoints_.begin(), endpoints_.end(),
                       [&](const auto& g) { return g.key == key && g.name == name; });
}

bool Policy::may_open(const crypto::PublicKey& key, std::string_view target) const {
    for (const auto& g : clients_) {
        if (g.key != key) continue;
        for (const auto& pattern : g.allow)
            if (target_matches(pattern, target)) return true;
    }
    return false;
}

bool Policy::may_wake(const crypto::PublicKey& key, std::string_view name) const {
    const std::string all = std::string(name) + "/*";
    for (const auto& g : clients_) {
        if (g.key != key) continue;
        for (const auto& pattern : g.allow)
            if (target_matches(pattern, all)) return true;
        for (const auto& pattern : g.wake)
            if (target_matches(pattern, name)) return true;
    }
    return false;
}

bool Policy::may_open_some(const crypto::PublicKey& key, std::string_view name) const {
    for (const auto& g : clients_) {
        if (g.key != key) continue;
        for (const auto& pattern : g.allow) {
            const auto slash = pattern.find('/');
            if (slash != std::string::npos && target_matches(pattern.substr(0, slash), name)) return true;
        }
    }
    return false;
}

std::vector<std::string> Policy::endpoint_names() const {
    std::vector<std::string> names;
    for (const auto& g : endpoints_) names.push_back(g.name);
    return names;
}

std::optional<crypto::PublicKey> Policy::owner_of(std::string_view name) const {
    for (const auto& g : endpoints_)
        if (g.name == name) return g.key;
    return std::nullopt;
}

std::string Policy::describe(const crypto::PublicKey& key) const {
    for (const auto& g : clients_)
        if (g.key == key && !g.label.empty()) return g.label + " (" + key.fingerprint() + ")";
    for (const auto& g : endpoints_)
        if (g.key == key) return "endpoint " + g.name + " (" + key.fingerprint() + ")";
    return key.fingerprint();
}

std::string Policy::label_of(const crypto::PublicKey& key) const {
    for (const auto& g : clients_)
        if (g.key == key) return g.label;
    return "";
}

}  // namespace burrow::relay
