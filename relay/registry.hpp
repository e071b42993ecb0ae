#pragma once
// Which endpoint name is served by which live session, and with what services.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proto/control.hpp"

namespace burrow::io {
class Session;
}

namespace burrow::relay {

class Registry {
public:
    struct Entry {
        std::weak_ptr<io::Session> session;
        std::vector<std::string> services;  // sorted
        std::int64_t since = 0;             // online since (seconds since the epoch)
        std::vector<std::string> candidates;  // where its direct listener may be reached (DIRECT_INFO)
    };

    // Binds `name` to `session`; returns the other session that held it, if any is still open.
    std::shared_ptr<io::Session> add(const std::string& name, std::vector<std::string> services,
                                     const std::shared_ptr<io::Session>& session);
    // Drops every name bound to `session`; returns them.
    std::vector<std::string> remove_session(const io::Session* session);
    // The live session for `name`, or null (also while that session is suspended).
    const Entry* find(const std::string& name) const;
    // `name` belongs to a suspended session: it may come back.
    bool suspended(const std::string& name) const;
    std::vector<proto::EndpointInfo> list() const;
    // Records the direct candidates of the names bound to `session`.
    void set_candidates(const io::Session* session, const std::vector<std::string>& candidates);
    // The names bound to `session`.
    std::vector<std::string> names_of(const io::Session* session) const;
    // Every name, suspended sessions' too (whose sessions may have closed since).
    const std::map<std::string, Entry>& entries() const noexcept { return entries_; }
    std::size_t size() const noexcept { return entries_.size(); }

private:
    std::map<std::string, Entry> entries_;
};

}  // namespace burrow::relay
