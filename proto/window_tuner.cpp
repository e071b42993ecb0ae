#include "proto/window_tuner.hpp"

#include <algorithm>

namespace burrow::proto {

void WindowTuner::consumed(std::size_t bytes, Clock::time_point now, Clock::duration min_rtt) noexcept {
    if (min_rtt <= Clock::duration::zero()) return;
    if (interval_start_ == Clock::time_point{}) {
        interval_start_ = now;
        interval_bytes_ = 0;
    }
    interval_bytes_ += bytes;
    const auto elapsed = now - interval_start_;
    if (elapsed < std::max<Clock::duration>(kMinInterval, min_rtt * static_cast<int>(kRoundTrips))) return;
    const auto sample = static_cast<std::uint64_t>(static_cast<long double>(interval_bytes_) * min_rtt.count() /
                                                   static_cast<long double>(elapsed.count()));
    // Up at once (a transfer speeding up must not wait), down by halves (one slow interval is not a trend).
    bytes_per_rtt_ = measured_ && sample < bytes_per_rtt_ ? (bytes_per_rtt_ + sample) / 2 : sample;
    measured_ = true;
    interval_start_ = now;
    interval_bytes_ = 0;
}

std::uint32_t WindowTuner::window(bool shared, const Bounds& b) const noexcept {
    const std::uint32_t ceiling = std::max(b.ceiling, b.base);
    if (!measured_) return b.base;
    const std::uint32_t least = shared ? std::min(b.floor, b.base) : b.base;
    return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(bytes_per_rtt_ * kRoundTrips, least, ceiling));
}

}  // namespace burrow::proto
