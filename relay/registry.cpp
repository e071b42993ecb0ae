#include "relay/registry.hpp"

#include <algorithm>

namespace burrow::relay {

std::optional<SessionId> Registry::add(const std::string& name, std::vector<std::string> services, SessionId session,
                                       std::string address, std::int64_t now) {
    std::optional<SessionId> previous;
    std::int64_t since = now;
    std::vector<std::string> candidates;
    if (const auto it = entries_.find(name); it != entries_.end()) {
        if (it->second.session == session) {  // a new service list, the same session
            since = it->second.since;
            candidates = it->second.candidates;
        } else {
            previous = it->second.session;
        }
    }
    std::sort(services.begin(), services.end());
    services.erase(std::unique(services.begin(), services.end()), services.end());
    entries_[name] = Entry{session, std::move(services), since, std::move(address), std::move(candidates), false};
    return previous;
}

std::vector<std::string> Registry::remove_session(SessionId session) {
    std::vector<std::string> removed;
    std::erase_if(entries_, [&](const auto& item) {
        if (item.second.session != session) return false;
        removed.push_back(item.first);
        return true;
    });
    return removed;
}

void Registry::set_suspended(SessionId session, bool suspended) {
    for (auto& [name, entry] : entries_)
        if (entry.session == session) entry.suspended = suspended;
}

void Registry::set_address(SessionId session, const std::string& address) {
    for (auto& [name, entry] : entries_)
        if (entry.session == session) entry.address = address;
}

void Registry::set_candidates(SessionId session, const std::vector<std::string>& candidates) {
    for (auto& [name, entry] : entries_)
        if (entry.session == session) entry.candidates = candidates;
}

const Registry::Entry* Registry::find(const std::string& name) const {
    const auto it = entries_.find(name);
    return it == entries_.end() || it->second.suspended ? nullptr : &it->second;
}

bool Registry::suspended(const std::string& name) const {
    const auto it = entries_.find(name);
    return it != entries_.end() && it->second.suspended;
}

std::vector<std::string> Registry::names_of(SessionId session) const {
    std::vector<std::string> names;
    for (const auto& [name, entry] : entries_)
        if (entry.session == session) names.push_back(name);
    return names;
}

std::vector<proto::EndpointInfo> Registry::list() const {
    std::vector<proto::EndpointInfo> out;
    for (const auto& [name, entry] : entries_)
        if (!entry.suspended) out.push_back({name, entry.services});
    return out;
}

}  // namespace burrow::relay
