#pragma once
// Where frames begin and end in one direction of a session's bytes, and which
// payloads are end-to-end records (DATA with the E2E flag): a link carries
// those unsealed, since they are sealed already (docs/PROTOCOL.md §1.3). Both
// ends of a link walk the same bytes with one of these, from the first byte
// of the connection, so they agree on which bytes are sealed. It reads only
// type, flags and length; FrameReader validates the rest of each header.
#include <cstddef>
#include <cstdint>
#include <span>

#include "proto/frame.hpp"

namespace burrow::proto {

class FrameCursor {
public:
    // Bytes of an end-to-end payload due next; 0 while sealed bytes are due.
    std::uint64_t raw_due() const noexcept { return raw_; }
    // Walks bytes that are due sealed (requires raw_due() == 0): returns how
    // many it took, stopping right after a header whose payload is
    // end-to-end (raw_due() is then that payload's length).
    std::size_t sealed(std::span<const std::uint8_t> bytes) noexcept;
    // `n` bytes (at most raw_due()) of the end-to-end payload went by.
    void raw(std::uint64_t n) noexcept { raw_ -= n; }
    // True between frames.
    bool at_frame_start() const noexcept { return fill_ == 0 && skip_ == 0 && raw_ == 0; }

private:
    std::uint8_t header_[FrameHeader::kSize]{};
    std::size_t fill_ = 0;    // header bytes seen of the frame under way
    std::uint64_t skip_ = 0;  // sealed payload bytes still to come
    std::uint64_t raw_ = 0;   // end-to-end payload bytes still to come
};

}  // namespace burrow::proto
