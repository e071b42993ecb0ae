#include "relay/session_table.hpp"

namespace burrow::relay {

SessionId SessionTable::add(std::weak_ptr<io::Session> session, const crypto::PublicKey& key, std::int64_t since) {
    const auto id = static_cast<SessionId>(++last_);
    Record record;
    record.session = std::move(session);
    record.key = key;
    record.since = since;
    records_[id] = std::move(record);
    return id;
}

void SessionTable::erase(SessionId id) { records_.erase(id); }

const SessionTable::Record* SessionTable::find(SessionId id) const {
    const auto it = records_.find(id);
    return it == records_.end() ? nullptr : &it->second;
}

std::shared_ptr<io::Session> SessionTable::session(SessionId id) const {
    const auto* record = find(id);
    return record ? record->session.lock() : nullptr;
}

void SessionTable::suspended(SessionId id, std::shared_ptr<io::Session> session) {
    if (const auto it = records_.find(id); it != records_.end()) {
        it->second.suspended = true;
        it->second.kept = std::move(session);
    }
}

void SessionTable::resumed(SessionId id) {
    if (const auto it = records_.find(id); it != records_.end()) {
        it->second.suspended = false;
        it->second.kept.reset();
    }
}

std::vector<SessionId> SessionTable::of_key(const crypto::PublicKey& key) const {
    std::vector<SessionId> ids;
    for (const auto& [id, record] : records_)
        if (record.key == key) ids.push_back(id);
    return ids;
}

std::vector<SessionId> SessionTable::suspended_ids() const {
    std::vector<SessionId> ids;
    for (const auto& [id, record] : records_)
        if (record.suspended) ids.push_back(id);
    return ids;
}

}  // namespace burrow::relay
