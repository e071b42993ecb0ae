#pragma once
// The frames a resumed transport starts with (docs/PROTOCOL.md §3.5), and the
// initiator's loop that re-dials until a suspended session is resumed.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/asio.hpp"
#include "io/byte_stream.hpp"
#include "proto/control.hpp"

namespace burrow::io {

class Session;

// What a new transport opened with: a RESUME, or the first bytes of a new session.
struct Opening {
    bool resume = false;
    proto::ResumeTicket ticket;
    std::uint64_t peer_received = 0;
    std::vector<std::uint8_t> bytes;  // for a new session: what was read already
};

// Reads the first frame header (and a RESUME's payload). Throws on EOF or error.
awaitable<Opening> read_opening(ByteStream& transport);

std::vector<std::uint8_t> resume_frame(const proto::ResumeTicket& ticket, std::uint64_t received);
std::vector<std::uint8_t> resumed_frame(std::uint64_t received);
// A GOAWAY refusing a RESUME.
std::vector<std::uint8_t> refusal_frame(const std::string& reason);

using Redial = std::function<awaitable<std::unique_ptr<ByteStream>>()>;

// Re-dials with a short backoff until `session` is resumed, closes, or the
// peer refuses, or its key is (RelayKeyRefused): then the session is closed
// with the reason.
awaitable<void> reattach(std::shared_ptr<Session> session, Redial redial);

}  // namespace burrow::io
