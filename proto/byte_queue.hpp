#pragma once
// A FIFO of bytes kept as a few contiguous chunks: appends and takes are
// bulk copies, never byte by byte.
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "proto/fifo.hpp"

namespace burrow::proto {

class ByteQueue {
public:
    void append(std::span<const std::uint8_t> bytes) {
        if (bytes.empty()) return;
        // Small writes (keystrokes) join the last chunk instead of making a new one.
        if (!chunks_.empty() && chunks_.back().size() + bytes.size() <= kJoinBelow)
            chunks_.back().insert(chunks_.back().end(), bytes.begin(), bytes.end());
        else
            chunks_.emplace_back(bytes.begin(), bytes.end());
        size_ += bytes.size();
    }

    // The same, taking a large buffer over as it is instead of copying it.
    void append(std::vector<std::uint8_t>&& bytes) {
        if (bytes.size() < kJoinBelow) {
            append(std::span<const std::uint8_t>(bytes));
            return;
        }
        size_ += bytes.size();
        chunks_.push_back(std::move(bytes));
    }

    // Moves the first min(n, size()) bytes to the end of `out`.
    void take(std::size_t n, std::vector<std::uint8_t>& out) {
        n = std::min(n, size_);
        size_ -= n;
        while (n > 0) {
            auto& front = chunks_.front();
            const std::size_t k = std::min(n, front.size() - front_taken_);
            const auto from = front.begin() + static_cast<std::ptrdiff_t>(front_taken_);
            out.insert(out.end(), from, from + static_cast<std::ptrdiff_t>(k));
            front_taken_ += k;
            n -= k;
            if (front_taken_ == front.size()) {
                chunks_.pop_front();
                front_taken_ = 0;
            }
        }
    }

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

private:
    static constexpr std::size_t kJoinBelow = 4096;
    Fifo<std::vector<std::uint8_t>> chunks_;
    std::size_t front_taken_ = 0;
    std::size_t size_ = 0;
};

}  // namespace burrow::proto
