#pragma once
// The bytes of a session's output that the peer has not acknowledged yet,
// addressed by their offset in the whole output (docs/PROTOCOL.md §3.6). After
// a broken transport, a resumed session replays them from the offset the
// peer says it has received.
#include <cstdint>
#include <span>
#include <vector>

#include "proto/fifo.hpp"

namespace burrow::proto {

class ResendBuffer {
public:
    // Bytes just handed to the transport. Returns the kept copy, which stays
    // in place until acknowledged (the transport may write from it).
    std::span<const std::uint8_t> append(std::span<const std::uint8_t> bytes);
    // The same for a buffer the caller gives up: a large one is kept as it
    // is; a small one is copied, so that a keystroke does not hold a large
    // buffer's room until acknowledged.
    std::span<const std::uint8_t> append(std::vector<std::uint8_t>&& bytes);
    // Bytes handed to the transport before resumption was on: counted, never
    // replayed. Only while nothing is kept (size() == 0); ignored otherwise.
    void skip(std::size_t n);
    // The peer has received everything before `total`. Stale values are
    // ignored; false when `total` is beyond what was ever sent.
    bool acknowledge(std::uint64_t total);
    // The unacknowledged bytes from `offset` on, in order; false when
    // `offset` is outside [begin(), end()].
    bool replay_from(std::uint64_t offset, std::vector<std::span<const std::uint8_t>>& out) const;

    std::uint64_t begin() const noexcept { return begin_; }        // oldest byte kept
    std::uint64_t end() const noexcept { return begin_ + size_; }  // total bytes sent
    std::size_t size() const noexcept { return size_; }

private:
    static constexpr std::size_t kKeepAsIsFrom = 16 * 1024;
    Fifo<std::vector<std::uint8_t>> chunks_;
    std::size_t front_skip_ = 0;  // bytes of chunks_.front() already acknowledged
    std::uint64_t begin_ = 0;
    std::size_t size_ = 0;
};

}  // namespace burrow::proto
