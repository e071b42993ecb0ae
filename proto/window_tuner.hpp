#pragma once
// How much receive credit one stream should have outstanding (docs/PROTOCOL.md
// §4.8): enough for a few round trips of the session at the rate the stream is
// consumed, within bounds. Credit granted but not yet read sits in socket
// buffers ahead of every other stream's bytes on the same session: a bulk
// stream with a 1 MiB window makes a keystroke on another stream wait behind
// up to 1 MiB at each hop. So a stream that shares its session with a quiet
// one (idle, interactive or new) may be cut down to `floor` (on a LAN or loopback a few round trips are tens of KiB),
// one alone keeps at least `base`; on a long path either grows up to
// `ceiling`, since a window caps a stream at window / round trip (1 MiB over
// 100 ms is 10 MB/s). Pure: time and round trip come in.
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace burrow::proto {

using Clock = std::chrono::steady_clock;

class WindowTuner {
public:
    // Round trips of the session at the measured rate that a shared stream's window covers.
    static constexpr std::uint64_t kRoundTrips = 4;
    // Rates are measured over intervals of at least this long (and of kRoundTrips round trips).
    static constexpr Clock::duration kMinInterval = std::chrono::milliseconds(1);

    // The application consumed `bytes` at `now`; `min_rtt` is the session's
    // smallest measured round trip, zero while none is known.
    void consumed(std::size_t bytes, Clock::time_point now, Clock::duration min_rtt) noexcept;

    // Bytes consumed per minimum round trip, as last measured (0: not yet).
    std::uint64_t bytes_per_rtt() const noexcept { return bytes_per_rtt_; }

    // A stream that moves at least a quarter of `floor` per kRoundTrips
    // round trips. Streams that are not busy (idle, interactive, not measured
    // yet) are the ones whose bytes must not queue behind the busy ones, so
    // only they make a session count as shared.
    bool busy(std::uint32_t floor) const noexcept {
        return measured_ && bytes_per_rtt_ * kRoundTrips >= floor / 4;
    }

    struct Bounds {
        std::uint32_t floor;    // the least while the stream shares its session
        std::uint32_t base;     // the least while it is alone; also the window until measured
        std::uint32_t ceiling;  // the most
    };
    // Enough for kRoundTrips round trips at the measured rate, within
    // [floor, ceiling] when shared and [base, ceiling] when alone.
    std::uint32_t window(bool shared, const Bounds& bounds) const noexcept;

private:
    Clock::time_point interval_start_{};
    std::uint64_t interval_bytes_ = 0;
    std::uint64_t bytes_per_rtt_ = 0;
    bool measured_ = false;
};

}  // namespace burrow::proto
