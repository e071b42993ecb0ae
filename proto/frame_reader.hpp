#pragma once
// Reassembles frames from an arbitrary split of the byte stream. Holds at most
// one header and one payload (bounded by max_payload), never more.
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "proto/frame.hpp"

namespace burrow::proto {

class FrameReader {
public:
    explicit FrameReader(std::uint32_t max_payload) noexcept : max_payload_(max_payload) {}

    struct Frame {
        FrameHeader header;
        std::span<const std::uint8_t> payload;  // valid until the next call to next()
    };

    // Consumes bytes from `in` (advancing it) until one frame is complete.
    // Returns true with `out` set when a frame is ready; false when `in` is
    // used up (or on error, with `ec` set; the reader is then dead).
    bool next(std::span<const std::uint8_t>& in, Frame& out, std::error_code& ec);

    void set_max_payload(std::uint32_t max_payload) noexcept { max_payload_ = max_payload; }
    // Bytes of a partial frame held right now.
    std::size_t buffered() const noexcept {
        return have_header_ && payload_.size() == header_.length ? 0 : header_fill_ + payload_.size();
    }
    // Forgets the partial frame (its bytes will come again on a new transport).
    void drop_partial() noexcept {
        header_fill_ = 0;
        have_header_ = false;
        payload_.clear();
    }

private:
    std::uint32_t max_payload_;
    std::uint8_t header_bytes_[FrameHeader::kSize]{};
    std::size_t header_fill_ = 0;
    FrameHeader header_{};
    bool have_header_ = false;
    bool failed_ = false;
    std::vector<std::uint8_t> payload_;
};

}  // namespace burrow::proto
