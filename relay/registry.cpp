#include "relay/registry.hpp"

#include <algorithm>

#include "io/session.hpp"
#include "relay/status.hpp"

namespace burrow::relay {

std::shared_ptr<io::Session> Registry::add(const std::string& name, std::vector<std::string> services,
                                           const std::shared_ptr<io::Session>& session) {
    std::shared_ptr<io::Session> previous;
    std::int64_t since = unix_now();
    std::vector<std::string> candidates;
    if (const auto it = entries_.find(name); it != entries_.end()) {
        previous = it->second.session.lock();
        if (previous == session) {  // a new service list, the same session
            since = it->second.since;
            candidates = it->second.candidates;
        }
        if (previous == session || (previous && previous->closed())) previous.reset();
    }
    std::sort(services.begin(), services.end());
    services.erase(std::unique(services.begin(), services.end()), services.end());
    entries_[name] = Entry{session, std::move(services), since, std::move(candidates)};
    return previous;
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

// An endpoint whose session is suspended keeps its name but takes no new streams.
const Registry::Entry* Registry::find(const std::string& name) const {
    const auto it = entries_.find(name);
    if (it == entries_.end()) return nullptr;
    const auto holder = it->second.session.lock();
    if (!holder || holder->closed() || holder->suspended()) return nullptr;
    return &it->second;
}

bool Registry::suspended(const std::string& name) const {
    const auto it = entries_.find(name);
    if (it == entries_.end()) return false;
    const auto holder = it->second.session.lock();
    return holder && !holder->closed() && holder->suspended();
}

void Registry::set_candidates(const io::Session* session, const std::vector<std::string>& candidates) {
    for (auto& [name, entry] : entries_)
        if (entry.session.lock().get() == session) entry.candidates = candidates;
}

std::vector<std::string> Registry::names_of(const io::Session* session) const {
    std::vector<std::string> names;
    for (const auto& [name, entry] : entries_)
        if (entry.session.lock().get() == session) names.push_back(name);
    return names;
}

std::vector<proto::EndpointInfo> Registry::list() const {
    std::vector<proto::EndpointInfo> out;
    for (const auto& [name, entry] : entries_) {
        const auto holder = entry.session.lock();
        if (holder && !holder->closed() && !holder->suspended()) out.push_back({name, entry.services});
    }
    return out;
}

}  // namespace burrow::relay
