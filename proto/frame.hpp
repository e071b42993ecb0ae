#pragma once
// The frame: type:u8 | flags:u8 | stream:u32 | length:u32 | payload,
// big-endian (docs/PROTOCOL.md §2).
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

namespace burrow::proto {

using StreamId = std::uint32_t;

enum class FrameType : std::uint8_t {
    hello = 0,    // stream 0: versions and session settings, first frame each way
    open = 1,     // new stream: initial window, target
    accept = 2,   // stream opened: initial window
    reject = 3,   // stream refused: code, reason
    data = 4,     // bytes; flag fin = no more data this way, e2e = bytes are end-to-end records
    window = 5,   // credit grant; stream 0 = session
    reset = 6,    // stream aborted both ways: code, reason
    ping = 7,     // stream 0: 8 opaque bytes; flag ack = the answer
    goaway = 8,   // stream 0: the session ends: code, reason
    control = 9,  // stream 0: a control message (proto/control.hpp)
    ack = 10,     // stream 0: u64 bytes of the session received so far (resumable sessions)
};
inline constexpr std::uint8_t kLastFrameType = 10;

// Frames a resumed transport starts with instead of HELLO (docs/PROTOCOL.md §3.6).
// They never reach a Mux; the session layer reads and writes them.
inline constexpr std::uint8_t kResumeFrameType = 11;   // session id (16) | secret (32) | u64 received
inline constexpr std::uint8_t kResumedFrameType = 12;  // u64 received

inline constexpr std::uint8_t kFlagFin = 0x01;  // on data
inline constexpr std::uint8_t kFlagE2e = 0x02;  // on data: the payload is end-to-end records, unsealed on links
inline constexpr std::uint8_t kFlagAck = 0x01;  // on ping

struct FrameHeader {
    static constexpr std::size_t kSize = 10;
    // Hard cap on any payload; a receiver announces its own (smaller or equal) cap in HELLO.
    static constexpr std::uint32_t kMaxPayload = 64 * 1024;

    FrameType type{};
    std::uint8_t flags = 0;
    StreamId stream = 0;
    std::uint32_t length = 0;

    void encode(std::span<std::uint8_t, kSize> out) const noexcept;
    // Validates everything the peer controls that the header alone shows:
    // known type, only flags defined for that type, stream 0 exactly for the
    // session-level types, length within max_payload. Never reads past `in`.
    static std::error_code decode(std::span<const std::uint8_t, kSize> in, std::uint32_t max_payload,
                                  FrameHeader& out) noexcept;
};

// Appends one whole frame (header and payload) to `out`.
void append_frame(std::vector<std::uint8_t>& out, FrameType type, std::uint8_t flags, StreamId stream,
                  std::span<const std::uint8_t> payload);

}  // namespace burrow::proto
