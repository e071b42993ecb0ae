#include "proto/resume_frames.hpp"

#include "proto/frame.hpp"
#include "proto/wire.hpp"

namespace burrow::proto {
namespace {

constexpr std::size_t kResumePayload = 16 + 32 + 8;
constexpr std::size_t kResumedPayload = 8;

// The header's type and length, checked as FrameHeader::decode checks a
// session-level frame: no flags, stream 0.
struct Head {
    std::uint8_t type = 0;
    std::uint32_t length = 0;
};

bool read_head(std::span<const std::uint8_t> bytes, Head& head) {
    if (bytes[1] != 0 || load_be32(&bytes[2]) != 0) return false;
    head.type = bytes[0];
    head.length = load_be32(&bytes[6]);
    return true;
}

std::vector<std::uint8_t> frame(std::uint8_t type, std::span<const std::uint8_t> payload) {
    std::vector<std::uint8_t> out;
    append_frame(out, static_cast<FrameType>(type), 0, 0, payload);
    return out;
}

}  // namespace

std::error_code parse_opening(std::span<const std::uint8_t> bytes, Opening& out) {
    if (bytes.size() < FrameHeader::kSize) {
        out = NeedBytes{FrameHeader::kSize};
        return {};
    }
    if (bytes[0] != kResumeFrameType) {
        out = NewSession{};
        return {};
    }
    Head head;
    if (!read_head(bytes, head) || head.length != kResumePayload) return Errc::malformed_frame;
    const std::size_t total = FrameHeader::kSize + kResumePayload;
    if (bytes.size() < total) {
        out = NeedBytes{total};
        return {};
    }
    if (bytes.size() > total) return Errc::protocol_error;  // bytes before the answer
    ResumeRequest request;
    ByteReader r(bytes.subspan(FrameHeader::kSize));
    r.read(request.ticket.id);
    r.read(request.ticket.secret);
    r.u64(request.received);
    out = request;
    return {};
}

std::error_code parse_resume_answer(std::span<const std::uint8_t> bytes, ResumeAnswer& out) {
    if (bytes.size() < FrameHeader::kSize) {
        out = NeedBytes{FrameHeader::kSize};
        return {};
    }
    Head head;
    if (!read_head(bytes, head)) return Errc::malformed_frame;
    if (head.type == static_cast<std::uint8_t>(FrameType::hello)) {
        // A relay that no longer knows the key starts a session only to refuse it.
        out = ResumeRefused{Errc::session_closed, "it answered with a new session (it no longer knows this key)"};
        return {};
    }
    const bool resumed = head.type == kResumedFrameType;
    if (!resumed && head.type != static_cast<std::uint8_t>(FrameType::goaway)) return Errc::protocol_error;
    if (resumed ? head.length != kResumedPayload : head.length < 2 || head.length > 2 + kMaxReasonLen)
        return Errc::malformed_frame;
    const std::size_t total = FrameHeader::kSize + head.length;
    if (bytes.size() < total) {
        out = NeedBytes{total};
        return {};
    }
    if (bytes.size() > total) return Errc::protocol_error;
    ByteReader r(bytes.subspan(FrameHeader::kSize));
    if (resumed) {
        ResumeAccepted accepted;
        r.u64(accepted.received);
        out = accepted;
        return {};
    }
    std::uint16_t code = 0;
    r.u16(code);
    const auto reason = r.rest();
    out = ResumeRefused{errc_from_wire(code), std::string(reason.begin(), reason.end())};
    return {};
}

std::vector<std::uint8_t> encode_resume(const ResumeRequest& request) {
    std::vector<std::uint8_t> payload;
    ByteWriter w(payload);
    w.bytes(std::span<const std::uint8_t>(request.ticket.id));
    w.bytes(std::span<const std::uint8_t>(request.ticket.secret));
    w.u64(request.received);
    return frame(kResumeFrameType, payload);
}

std::vector<std::uint8_t> encode_resumed(std::uint64_t received) {
    std::vector<std::uint8_t> payload;
    ByteWriter(payload).u64(received);
    return frame(kResumedFrameType, payload);
}

std::vector<std::uint8_t> encode_resume_refusal(Errc code, std::string_view reason) {
    std::vector<std::uint8_t> payload;
    ByteWriter w(payload);
    w.u16(static_cast<std::uint16_t>(code));
    w.bytes(reason.substr(0, kMaxReasonLen));
    return frame(static_cast<std::uint8_t>(FrameType::goaway), payload);
}

}  // namespace burrow::proto
