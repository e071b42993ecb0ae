#pragma once
// The authenticated sessions of the relay, live and suspended, by SessionId:
// whose key each is, since when, what went through it.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "crypto/identity.hpp"
#include "relay/session_id.hpp"
#include "relay/status.hpp"

namespace burrow::io {
class Session;
}

namespace burrow::relay {

class SessionTable {
public:
    struct Record {
        std::weak_ptr<io::Session> session;
        crypto::PublicKey key;
        std::int64_t since = 0;  // seconds since the epoch
        std::shared_ptr<Traffic> traffic = std::make_shared<Traffic>();
        bool suspended = false;
        std::shared_ptr<io::Session> kept;  // while suspended: nothing else holds it then
    };

    SessionId add(std::weak_ptr<io::Session> session, const crypto::PublicKey& key, std::int64_t since);
    void erase(SessionId id);
    const Record* find(SessionId id) const;
    // The session, if it is still there.
    std::shared_ptr<io::Session> session(SessionId id) const;
    // Keeps a suspended session alive until it resumes or closes.
    void suspended(SessionId id, std::shared_ptr<io::Session> session);
    void resumed(SessionId id);
    // The sessions of `key`, oldest first.
    std::vector<SessionId> of_key(const crypto::PublicKey& key) const;
    // Those suspended now, oldest first.
    std::vector<SessionId> suspended_ids() const;
    const std::map<SessionId, Record>& records() const noexcept { return records_; }
    std::size_t size() const noexcept { return records_.size(); }

private:
    std::map<SessionId, Record> records_;  // ids grow, so oldest first
    std::uint64_t last_ = 0;
};

}  // namespace burrow::relay
