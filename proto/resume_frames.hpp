#pragma once
// The frames of a transport that resumes a session (docs/PROTOCOL.md §3.6):
// the initiator opens with RESUME instead of HELLO and the acceptor answers
// RESUMED, or GOAWAY with the reason it cannot. They never reach a Mux.
//
// The parsers take every byte read so far and say either what it is or how
// many bytes in all they need to tell (NeedBytes), so a caller reads no byte
// past the frame: what follows belongs to the resumed session.
#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "proto/control.hpp"
#include "proto/errc.hpp"

namespace burrow::proto {

// Read until this many bytes are in hand, then parse again.
struct NeedBytes {
    std::size_t total = 0;
};

// The first frame is not RESUME: a new session begins with the bytes read so far.
struct NewSession {};

struct ResumeRequest {
    ResumeTicket ticket;
    std::uint64_t received = 0;  // bytes of the session the initiator has received
};

struct ResumeAccepted {
    std::uint64_t received = 0;  // bytes of the session the acceptor has received
};

struct ResumeRefused {
    Errc code = Errc::session_closed;
    std::string reason;
};

using Opening = std::variant<NeedBytes, NewSession, ResumeRequest>;
using ResumeAnswer = std::variant<NeedBytes, ResumeAccepted, ResumeRefused>;

// A malformed RESUME is malformed_frame; anything else that is not RESUME is a new session.
std::error_code parse_opening(std::span<const std::uint8_t> bytes, Opening& out);
// RESUMED or GOAWAY; a HELLO is a refusal too (the relay does not know the
// key: the GOAWAY that says so follows it); any other frame, or a malformed
// one, is an error.
std::error_code parse_resume_answer(std::span<const std::uint8_t> bytes, ResumeAnswer& out);

std::vector<std::uint8_t> encode_resume(const ResumeRequest& request);
std::vector<std::uint8_t> encode_resumed(std::uint64_t received);
// The GOAWAY refusing a RESUME; `reason` is cut to kMaxReasonLen bytes.
std::vector<std::uint8_t> encode_resume_refusal(Errc code, std::string_view reason);

}  // namespace burrow::proto
