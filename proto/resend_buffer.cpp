#include "proto/resend_buffer.hpp"

#include <algorithm>

namespace burrow::proto {

std::span<const std::uint8_t> ResendBuffer::append(std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) return {};
    chunks_.emplace_back(bytes.begin(), bytes.end());
    size_ += bytes.size();
    return chunks_.back();
}

std::span<const std::uint8_t> ResendBuffer::append(std::vector<std::uint8_t>&& bytes) {
    if (bytes.size() < kKeepAsIsFrom) return append(std::span<const std::uint8_t>(bytes));
    size_ += bytes.size();
    chunks_.push_back(std::move(bytes));
    return chunks_.back();
}

void ResendBuffer::skip(std::size_t n) {
    if (size_ == 0) begin_ += n;
}

bool ResendBuffer::acknowledge(std::uint64_t total) {
    if (total > end()) return false;
    while (total > begin_) {
        auto& front = chunks_.front();
        const std::size_t drop = static_cast<std::size_t>(
            std::min<std::uint64_t>(total - begin_, front.size() - front_skip_));
        front_skip_ += drop;
        begin_ += drop;
        size_ -= drop;
        if (front_skip_ == front.size()) {
            chunks_.pop_front();
            front_skip_ = 0;
        }
    }
    return true;
}

bool ResendBuffer::replay_from(std::uint64_t offset, std::vector<std::span<const std::uint8_t>>& out) const {
    if (offset < begin_ || offset > end()) return false;
    std::uint64_t skip = offset - begin_;
    bool first = true;
    for (const auto& chunk : chunks_) {
        std::span<const std::uint8_t> piece(chunk);
        if (first) piece = piece.subspan(front_skip_);
        first = false;
        if (skip >= piece.size()) {
            skip -= piece.size();
            continue;
        }
        out.push_back(piece.subspan(static_cast<std::size_t>(skip)));
        skip = 0;
    }
    return true;
}

}  // namespace burrow::proto
