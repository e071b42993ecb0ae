#include "proto/frame_cursor.hpp"

#include <algorithm>

#include "proto/wire.hpp"

namespace burrow::proto {

std::size_t FrameCursor::sealed(std::span<const std::uint8_t> bytes) noexcept {
    std::size_t used = 0;
    while (used < bytes.size()) {
        if (skip_ > 0) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, bytes.size() - used));
            skip_ -= n;
            used += n;
            continue;
        }
        const std::size_t n = std::min(FrameHeader::kSize - fill_, bytes.size() - used);
        std::copy_n(bytes.data() + used, n, header_ + fill_);
        fill_ += n;
        used += n;
        if (fill_ < FrameHeader::kSize) break;
        fill_ = 0;
        const std::uint32_t length = load_be32(&header_[6]);
        const bool end_to_end = header_[0] == static_cast<std::uint8_t>(FrameType::data) && (header_[1] & kFlagE2e) != 0;
        if (end_to_end && length > 0) {
            raw_ = length;
            break;
        }
        skip_ = length;
    }
    return used;
}

}  // namespace burrow::proto
