#pragma once
// Who may reach this endpoint's services, decided here and not by the relay
// (like ssh's authorized_keys): a client key and the services it may open.
// The key is the one the end-to-end handshake then proves (PROTOCOL.md §7),
// so a relay that names a key it does not hold gets no byte through. No
// entry admits no one.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/identity.hpp"

namespace burrow::endpoint {

struct AllowedClient {
    crypto::PublicKey key;
    std::vector<std::string> services;  // empty: every service
    std::string label;                  // for logs: a name or the key's comment
    std::string origin;                 // "FILE:LINE" or "--allow"
};

class ClientList {
public:
    ClientList() = default;
    explicit ClientList(std::vector<AllowedClient> clients) : clients_(std::move(clients)) {}

    bool admits(const crypto::PublicKey& key, std::string_view service) const;
    // May `key` reach any service here? (A direct session is refused otherwise.)
    bool admits_some(const crypto::PublicKey& key) const;
    // "label (SHA256:...)" or the fingerprint alone.
    std::string describe(const crypto::PublicKey& key) const;
    bool empty() const noexcept { return clients_.empty(); }
    std::size_t size() const noexcept { return clients_.size(); }
    const std::vector<AllowedClient>& clients() const noexcept { return clients_; }

private:
    std::vector<AllowedClient> clients_;
};

// The allowed-clients file: one client per line, `[services=a,b ]KEY [comment]`
// (KEY as `burrow id` prints it), '#' comments and blank lines ignored.
// Throws std::runtime_error naming `path` and the line on a malformed one.
std::vector<AllowedClient> parse_allowed_clients(std::string_view text, const std::string& path);
// The line parse_allowed_clients reads back.
std::string allowed_client_line(const crypto::PublicKey& key, const std::vector<std::string>& services,
                                const std::string& comment);

}  // namespace burrow::endpoint
