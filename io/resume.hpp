#pragma once
// Reading the frames a resumed transport starts with (docs/PROTOCOL.md §3.6;
// proto/resume_frames parses them), and the initiator's loop that re-dials
// until a suspended session is resumed.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/asio.hpp"
#include "io/byte_stream.hpp"
#include "proto/resume_frames.hpp"

namespace burrow::io {

class Session;

// What a new transport opened with: a RESUME, or the first bytes of a new session.
struct Opening {
    std::optional<proto::ResumeRequest> resume;
    std::vector<std::uint8_t> bytes;  // for a new session: what was read already
};

// Reads the first frame header (and a RESUME's payload), nothing more.
// Throws on EOF, error or a malformed RESUME.
awaitable<Opening> read_opening(ByteStream& transport);

using Redial = std::function<awaitable<std::unique_ptr<ByteStream>>()>;

// Re-dials with a short backoff until `session` is resumed, closes, or the
// peer refuses, or its key is (RelayKeyRefused): then the session is closed
// with the reason.
awaitable<void> reattach(std::shared_ptr<Session> session, Redial redial);

}  // namespace burrow::io
