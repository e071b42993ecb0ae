#pragma once
// Control messages, carried in CONTROL frames on stream 0
// (docs/PROTOCOL.md §5): kind:u8 then the fields of that kind.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "proto/errc.hpp"

namespace burrow::proto {

inline constexpr std::size_t kMaxNameLen = 63;       // endpoint and service names
inline constexpr std::size_t kMaxServices = 64;      // per endpoint
inline constexpr std::size_t kMaxListEntries = 256;  // per LIST_REPLY
inline constexpr std::size_t kMaxReasonLen = 512;

// endpoint → relay: publish this session under `name` with these services.
struct Register {
    std::string name;
    std::vector<std::string> services;
    bool operator==(const Register&) const = default;
};
// relay → endpoint: the name is now bound to this session.
struct Registered {
    std::string name;
    bool operator==(const Registered&) const = default;
};
// client → relay: which endpoints are online?
struct ListRequest {
    bool operator==(const ListRequest&) const = default;
};
struct EndpointInfo {
    std::string name;
    std::vector<std::string> services;
    bool operator==(const EndpointInfo&) const = default;
};
// relay → client.
struct ListReply {
    std::vector<EndpointInfo> endpoints;
    bool operator==(const ListReply&) const = default;
};
// Either way: a request failed (e.g. REGISTER of a name in use).
struct ControlError {
    Errc code = Errc::protocol_error;
    std::string reason;
    bool operator==(const ControlError&) const = default;
};

// acceptor → initiator: how to resume this session over a new transport.
struct ResumeTicket {
    std::array<std::uint8_t, 16> id{};
    std::array<std::uint8_t, 32> secret{};
    bool operator==(const ResumeTicket&) const = default;
};

using ControlMessage = std::variant<Register, Registered, ListRequest, ListReply, ControlError, ResumeTicket>;

std::vector<std::uint8_t> encode_control(const ControlMessage& msg);
// Validates kinds, lengths, counts and name syntax; rejects trailing bytes.
std::error_code decode_control(std::span<const std::uint8_t> payload, ControlMessage& out) noexcept;

// Endpoint and service names: 1..63 of [A-Za-z0-9._-], not starting with '.' or '-'.
bool is_valid_name(std::string_view name) noexcept;

// Parses "endpoint/service" into its two valid names.
bool parse_target(std::string_view target, std::string& endpoint, std::string& service);

}  // namespace burrow::proto
