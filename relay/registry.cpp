#include "relay/registry.hpp"

#include <algorithm>

#include "io/session.hpp"

namespace burrow::relay {

bool Registry::add(const std::string& name, std::vector<std::string> services,
                   const std::shared_ptr<io::Session>& session) {
    auto it = entries_.find(name);
    if (it != entries_.end()) {
        const auto holder = it->second.session.lock();
        if (holder && holder != session && !holder->closed()) return false;
    }
    std::sort(services.begin(), services.end());
    services.erase(std::unique(services.begin(), services.end()), services.end());
    entries_[name] = Entry{session, std::move(services)};
    return true;
}

std::vector<std::string> Registry::remove_session(const io::Session* session) {
    std::vector<std::string> removed;
    for (auto it = entries_.begin(); it != entries_.end();) {
        const auto holder = it->second.session.lock();
        if (!holder || holder.get() == session) {
            removed.push_back(it->first);
            it = entries_.erase(it);
        } else {
            ++it;
        }
    }
    return removed;
}

const Registry::Entry* Registry::find(const std::string& name) const {
    const auto it = entries_.find(name);
    if (it == entries_.end()) return nullptr;
    const auto holder = it->second.session.lock();
    if (!holder || holder->closed()) return nullptr;
    return &it->second;
}

std::vector<proto::EndpointInfo> Registry::list() const {
    std::vector<proto::EndpointInfo> out;
    for (const auto& [name, entry] : entries_) {
        const auto holder = entry.session.lock();
        if (holder && !holder->closed()) out.push_back({name, entry.services});
    }
    return out;
}

}  // namespace burrow::relay
