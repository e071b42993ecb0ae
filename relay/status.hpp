#pragma once
// What the relay can say about itself: counters it keeps while it runs, and
// the snapshot that /metrics, the status page and `burrow status` are made from.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace burrow::relay {

// Streams and bytes spliced through the relay, for one session or all of them.
// Bytes are DATA payload bytes as the relay forwarded them: for an end-to-end
// stream that is the sealed records, so a little more than the service saw.
struct Traffic {
    std::uint64_t streams_open = 0;
    std::uint64_t streams_opened = 0;
    std::uint64_t bytes_to_endpoint = 0;
    std::uint64_t bytes_to_client = 0;
};

// Why the relay turned something down.
enum class Refusal : std::uint8_t {
    handshake_limit,  // too many handshakes pending (from that address)
    unknown_key,      // TLS key not in the relay's config
    resume_refused,   // no such session to resume
    register_denied,  // key may not register that name
    bad_target,
    rate_limit,       // streams opened too fast
    not_granted,      // client may not open that target
    no_endpoint,      // not online (or did not come back in time)
    no_service,
    wake_denied,
    session_limit,    // the key has max_sessions_per_key sessions already
    count
};
std::string_view refusal_name(Refusal r);

enum class HandshakeFailure : std::uint8_t {
    tls,             // TLS failed or timed out
    no_first_frame,  // authenticated, then went away or stalled before its first frame
    count
};
std::string_view handshake_failure_name(HandshakeFailure f);

struct RelayCounters {
    std::uint64_t sessions_total = 0;  // authenticated since start
    std::uint64_t resumes = 0;
    std::array<std::uint64_t, static_cast<std::size_t>(Refusal::count)> refusals{};
    std::array<std::uint64_t, static_cast<std::size_t>(HandshakeFailure::count)> handshake_failures{};

    void refused(Refusal r, std::uint64_t n = 1) { refusals[static_cast<std::size_t>(r)] += n; }
    void failed(HandshakeFailure f) { ++handshake_failures[static_cast<std::size_t>(f)]; }
};

// One authenticated session as the status shows it.
struct SessionStatus {
    std::string name;         // endpoint name, or the client's label ("" if it has none)
    std::string fingerprint;  // SHA256:...
    std::string address;      // host:port it came from
    std::int64_t since = 0;   // seconds since the epoch
    bool suspended = false;   // its connection broke; it may resume
    std::vector<std::string> services;  // endpoints only
    Traffic traffic;
};

struct RelayStatus {
    std::string listen;
    std::int64_t started = 0;  // seconds since the epoch
    std::int64_t now = 0;
    std::uint64_t handshakes_pending = 0;
    std::uint64_t streams_waiting = 0;  // for a suspended endpoint to come back
    std::vector<SessionStatus> endpoints;  // by name
    std::vector<SessionStatus> clients;    // every other session, by name then address
    Traffic totals;
    RelayCounters counters;
};

}  // namespace burrow::relay

namespace burrow::relay {

// "1.5 MB", "312 B" (powers of 1000, as network tools count).
std::string format_bytes(std::uint64_t bytes);

// "a, b, c" (or with another separator); "" for none.
std::string joined(const std::vector<std::string>& items, std::string_view separator);
// "3d 4h", "2h 5m", "4m 10s", "12s".
std::string format_duration(std::int64_t seconds);
// Seconds since the epoch, now.
std::int64_t unix_now();
// "2026-12-07 12:01:03 UTC".
std::string format_utc(std::int64_t epoch_seconds);

}  // namespace burrow::relay
