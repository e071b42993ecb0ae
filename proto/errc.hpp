#pragma once
// Error codes of the burrow wire protocol (docs/PROTOCOL.md §6). The numeric
// values travel in REJECT, RESET, GOAWAY and control ERROR payloads, so they
// are part of the protocol: never renumber, only append.
#include <cstdint>
#include <string_view>
#include <system_error>

namespace burrow::proto {

enum class Errc : std::uint16_t {
    protocol_error = 1,       // the peer broke a rule of this protocol
    unsupported_version = 2,  // no common protocol version
    unknown_frame_type = 3,
    frame_too_large = 4,      // length above the receiver's announced maximum
    malformed_frame = 5,      // payload does not parse for its type
    flow_control = 6,         // data beyond granted credit, or credit overflow
    bad_stream_id = 7,        // wrong parity, reused, or never opened
    too_many_streams = 8,
    unknown_endpoint = 9,
    unknown_service = 10,
    service_unavailable = 11,  // the endpoint could not reach the service
    cancelled = 12,            // the application closed the stream
    session_closed = 13,       // a session this stream depended on ended
    overloaded = 14,           // a queue or rate limit was hit
    name_in_use = 15,
    not_authorized = 16,
    internal_error = 17,
    going_away = 18,           // the sender is shutting down
    timeout = 19,
    bad_target = 20,           // malformed `endpoint/service` target
};

inline constexpr std::uint16_t kLastErrc = 20;

const std::error_category& error_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

// Maps a wire value to Errc; unknown values become protocol_error.
Errc errc_from_wire(std::uint16_t value) noexcept;

// Short stable name, used in logs ("flow_control").
std::string_view errc_name(Errc e) noexcept;

}  // namespace burrow::proto

template <>
struct std::is_error_code_enum<burrow::proto::Errc> : std::true_type {};
