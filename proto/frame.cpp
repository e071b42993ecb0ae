#include "proto/frame.hpp"

#include "proto/errc.hpp"
#include "proto/wire.hpp"

namespace burrow::proto {
namespace {

bool is_session_level(FrameType t) noexcept {
    return t == FrameType::hello || t == FrameType::ping || t == FrameType::goaway || t == FrameType::control ||
           t == FrameType::ack;
}

std::uint8_t allowed_flags(FrameType t) noexcept {
    switch (t) {
        case FrameType::data: return kFlagFin | kFlagE2e;
        case FrameType::ping: return kFlagAck;
        default: return 0;
    }
}

}  // namespace

void FrameHeader::encode(std::span<std::uint8_t, kSize> out) const noexcept {
    out[0] = static_cast<std::uint8_t>(type);
    out[1] = flags;
    store_be32(&out[2], stream);
    store_be32(&out[6], length);
}

std::error_code FrameHeader::decode(std::span<const std::uint8_t, kSize> in, std::uint32_t max_payload,
                                    FrameHeader& out) noexcept {
    if (in[0] > kLastFrameType) return Errc::unknown_frame_type;
    const auto type = static_cast<FrameType>(in[0]);
    const std::uint8_t flags = in[1];
    const StreamId stream = load_be32(&in[2]);
    const std::uint32_t length = load_be32(&in[6]);
    if (length > max_payload || length > kMaxPayload) return Errc::frame_too_large;
    if ((flags & ~allowed_flags(type)) != 0) return Errc::malformed_frame;
    // WINDOW is the one type valid on both stream 0 (session credit) and a stream.
    if (type != FrameType::window && is_session_level(type) != (stream == 0)) return Errc::bad_stream_id;
    out = FrameHeader{type, flags, stream, length};
    return {};
}

void append_frame(std::vector<std::uint8_t>& out, FrameType type, std::uint8_t flags, StreamId stream,
                  std::span<const std::uint8_t> payload) {
    std::uint8_t header[FrameHeader::kSize];
    FrameHeader{type, flags, stream, static_cast<std::uint32_t>(payload.size())}.encode(header);
    out.insert(out.end(), header, header + FrameHeader::kSize);
    out.insert(out.end(), payload.begin(), payload.end());
}

}  // namespace burrow::proto
