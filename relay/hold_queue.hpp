#pragma once
// New streams to an endpoint whose session is suspended: each waits, for a
// fixed time, for that endpoint to come back (docs/PROTOCOL.md §3.6).
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "crypto/identity.hpp"
#include "proto/mux.hpp"
#include "relay/session_id.hpp"

namespace burrow::relay {

struct HeldStream {
    SessionId from = SessionId::none;  // the client's session
    crypto::PublicKey client;
    proto::StreamId id = 0;
    std::string target;
    std::string endpoint;
    std::chrono::steady_clock::time_point until;
};

class HoldQueue {
public:
    using Clock = std::chrono::steady_clock;
    explicit HoldQueue(Clock::duration wait) : wait_(wait) {}

    // Holds a stream until now + wait(); true if it is the only one (a timer must be set for it).
    bool hold(SessionId from, const crypto::PublicKey& client, proto::StreamId id, std::string target,
              std::string endpoint, Clock::time_point now);
    // Takes the streams waiting for `endpoint`, oldest first.
    std::vector<HeldStream> release(const std::string& endpoint);
    // Takes the streams whose wait is over at `now`, oldest first.
    std::vector<HeldStream> expire(Clock::time_point now);
    // When the oldest one's wait is over.
    std::optional<Clock::time_point> next_expiry() const;
    Clock::duration wait() const noexcept { return wait_; }
    std::size_t size() const noexcept { return held_.size(); }

private:
    Clock::duration wait_;
    std::deque<HeldStream> held_;  // oldest first: all wait equally long
};

}  // namespace burrow::relay
