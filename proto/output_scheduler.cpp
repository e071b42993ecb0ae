#include "proto/output_scheduler.hpp"

#include <algorithm>

namespace burrow::proto {

void OutputScheduler::queue_frame(FrameType type, std::uint8_t flags, StreamId id,
                                  std::span<const std::uint8_t> payload) {
    append_frame(control_, type, flags, id, payload);
}

void OutputScheduler::consume(std::size_t n) noexcept { taken_ = std::min(out_.size(), taken_ + n); }

}  // namespace burrow::proto
