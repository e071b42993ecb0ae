#pragma once
// How much receive credit one stream should have outstanding (docs/PROTOCOL.md
// §4.8). Bytes granted but not yet read sit in socket buffers ahead of every
// other stream's bytes on the same session: a bulk stream with a 1 MiB window
// makes a keystroke on another stream wait behind up to 1 MiB at each hop.
// So a stream that has the session to itself gets the full window, and a
// stream that shares it gets only what its measured rate needs to cover a few
// round trips of the session: on a LAN or loopback that is tens of KiB, on a
// long path it is the full window again. Pure: time and round trip come in.
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

    // `full` when alone or while nothing is measured; else enough for
    // kRoundTrips round trips at the measured rate, within [floor, full].
    std::uint32_t window(bool shared, std::uint32_t full, std::uint32_t floor) const noexcept;

private:
    Clock::time_point interval_start_{};
    std::uint64_t interval_bytes_ = 0;
    std::uint64_t bytes_per_rtt_ = 0;
    bool measured_ = false;
};

}  // namespace burrow::proto
