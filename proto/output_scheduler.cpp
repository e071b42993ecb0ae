#include "proto/output_scheduler.hpp"

#include <algorithm>

namespace burrow::proto {

void OutputScheduler::queue_frame(FrameType type, std::uint8_t flags, StreamId id,
                                  std::span<const std::uint8_t> payload) {
    append_frame(control_, type, flags, id, payload);
}

void OutputScheduler::consume(std::size_t n) noexcept { taken_ = std::min(out_.size(), taken_ + n); }

std::vector<std::uint8_t> OutputScheduler::take_all() {
    std::vector<std::uint8_t> all;
    if (taken_ == 0)
        all.swap(out_);
    else
        all.assign(out_.begin() + static_cast<std::ptrdiff_t>(std::min(taken_, out_.size())), out_.end());
    out_.clear();
    taken_ = 0;
    return all;
}

}  // namespace burrow::proto
