#include "proto/frame_reader.hpp"

#include <algorithm>

#include "proto/errc.hpp"

namespace burrow::proto {

bool FrameReader::next(std::span<const std::uint8_t>& in, Frame& out, std::error_code& ec) {
    if (failed_) {
        ec = Errc::protocol_error;
        return false;
    }
    if (have_header_ && payload_.size() == header_.length) {  // the frame handed out last time
        have_header_ = false;
        header_fill_ = 0;
        payload_.clear();
    }
    if (!have_header_) {
        const std::size_t n = std::min(in.size(), FrameHeader::kSize - header_fill_);
        std::copy_n(in.begin(), n, header_bytes_ + header_fill_);
        header_fill_ += n;
        in = in.subspan(n);
        if (header_fill_ < FrameHeader::kSize) return false;
        if ((ec = FrameHeader::decode(std::span<const std::uint8_t, FrameHeader::kSize>(header_bytes_),
                                      max_payload_, header_))) {
            failed_ = true;
            return false;
        }
        have_header_ = true;
        // A whole payload already in `in` is handed out without a copy.
        if (in.size() >= header_.length) {
            out = Frame{header_, in.first(header_.length)};
            in = in.subspan(header_.length);
            header_fill_ = 0;
            have_header_ = false;
            return true;
        }
        payload_.reserve(header_.length);
    }
    const std::size_t n = std::min(in.size(), header_.length - payload_.size());
    payload_.insert(payload_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
    in = in.subspan(n);
    if (payload_.size() < header_.length) return false;
    out = Frame{header_, payload_};
    return true;
}

}  // namespace burrow::proto
