#pragma once
// Which connections may hold one of the relay's pending-handshake slots.
// The table never refuses a newcomer for being late: when it is full, the
// oldest pending handshake goes (an honest handshake takes milliseconds; one
// that has waited longest is likeliest a slow attacker's). Sources count per
// IPv4 address or IPv6 /64, and a share of the slots is kept for sources that
// authenticated recently, so known endpoints and clients get in during a
// flood by strangers. Time is handed in; the relay ends what is evicted.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace burrow::relay {

struct AdmissionLimits {
    std::size_t max_pending = 512;             // handshakes in all
    std::size_t max_pending_per_source = 32;   // ... from one IPv4 address or IPv6 /64
    std::size_t reserved_for_known = 128;      // ... that strangers cannot take
    std::chrono::seconds known_for{24 * 3600};  // how long a source that authenticated stays known
    std::size_t max_known_sources = 4096;      // the oldest is forgotten beyond it
};

class Admission {
public:
    using Clock = std::chrono::steady_clock;
    using Id = std::uint64_t;  // 0: not admitted

    struct Entry {
        Id id = 0;
        bool known = false;               // its source authenticated recently
        std::vector<Id> evicted;          // pending handshakes to end now, to make room
    };

    explicit Admission(AdmissionLimits limits = {}) : limits_(limits) {}
    // Takes effect for the next admit(); what is pending stays.
    void set_limits(const AdmissionLimits& limits) { limits_ = limits; }

    // A new connection from `address`. Not admitted (id 0) only when a limit is 0.
    Entry admit(std::string_view address, Clock::time_point now);
    // Its handshake is over, either way (no-op for one already evicted).
    void finished(Id id);
    // A session from `address` authenticated, or was live until now (its
    // connection broke): the source is known for `known_for` from `now`.
    void seen(std::string_view address, Clock::time_point now);
    bool known(std::string_view address, Clock::time_point now) const;

    std::size_t pending() const noexcept { return pending_.size(); }
    std::size_t pending_strangers() const noexcept { return strangers_; }
    std::size_t pending_from(std::string_view address) const;

private:
    struct Pending {
        std::string source;
        bool known = false;
    };
    bool known_source(const std::string& source, Clock::time_point now) const;
    // The oldest pending handshake other than `except` matching `which`, or 0.
    template <class Pred>
    Id oldest(Id except, Pred which) const;
    void remove(Id id);

    AdmissionLimits limits_;
    std::map<Id, Pending> pending_;  // by id: oldest first
    std::unordered_map<std::string, std::size_t> per_source_;
    std::size_t strangers_ = 0;
    std::unordered_map<std::string, Clock::time_point> known_;  // source -> last seen
    Id next_ = 1;
};

}  // namespace burrow::relay
