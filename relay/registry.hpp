#pragma once
// Which endpoint name is served by which session, with what services, and
// whether that session is live or suspended (then the name takes no new
// streams, but may come back).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proto/control.hpp"
#include "relay/session_id.hpp"

namespace burrow::relay {

class Registry {
public:
    struct Entry {
        SessionId session = SessionId::none;
        std::vector<std::string> services;  // sorted
        std::int64_t since = 0;             // online since (seconds since the epoch)
        std::string address;                // the host its session comes from
        std::vector<std::string> candidates;  // where its direct listener may be reached (DIRECT_INFO)
        bool suspended = false;
    };

    // Binds `name` to `session` (`now` in seconds since the epoch); returns
    // the other session that held the name, if any.
    std::optional<SessionId> add(const std::string& name, std::vector<std::string> services, SessionId session,
                                 std::string address, std::int64_t now);
    // Drops every name bound to `session`; returns them.
    std::vector<std::string> remove_session(SessionId session);
    // The names of `session` take no new streams while it is suspended.
    void set_suspended(SessionId session, bool suspended);
    // Where `session` comes from now (it resumed from another address).
    void set_address(SessionId session, const std::string& address);
    // Records the direct candidates of the names bound to `session`.
    void set_candidates(SessionId session, const std::vector<std::string>& candidates);
    // The entry for `name` if its session is live, else null.
    const Entry* find(const std::string& name) const;
    // `name` belongs to a suspended session: it may come back.
    bool suspended(const std::string& name) const;
    // The names online (not suspended), in order.
    std::vector<proto::EndpointInfo> list() const;
    // The names bound to `session`.
    std::vector<std::string> names_of(SessionId session) const;
    // Every name, suspended sessions' too.
    const std::map<std::string, Entry>& entries() const noexcept { return entries_; }
    std::size_t size() const noexcept { return entries_.size(); }

private:
    std::map<std::string, Entry> entries_;
};

}  // namespace burrow::relay
