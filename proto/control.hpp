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

inline constexpr std::size_t kMaxCheckTargets = 64;  // per CHECK_REQUEST

// client → relay: may I open these targets, and are they there? (`burrow forward` at start)
struct CheckRequest {
    std::vector<std::string> targets;  // "endpoint/service"
    bool operator==(const CheckRequest&) const = default;
};
enum class TargetStatus : std::uint8_t {
    ok = 0,           // online, has the service, the client may open it
    offline = 1,      // granted, but its endpoint is not online now
    no_endpoint = 2,  // no endpoint of that name the client may open; `names`: the online ones it may
    no_service = 3,   // the endpoint is online without that service; `names`: the services the client may open there
    not_granted = 4,  // the client may open other services of that endpoint, not this one
};
struct TargetCheck {
    TargetStatus status = TargetStatus::ok;
    std::vector<std::string> names;
    bool operator==(const TargetCheck&) const = default;
};
// relay → client: one entry per target, in request order.
struct CheckReply {
    std::vector<TargetCheck> results;
    bool operator==(const CheckReply&) const = default;
};

inline constexpr std::size_t kMaxLanInterfaces = 16;  // per LAN_INFO

// An endpoint's LAN interface, for Wake-on-LAN: its MAC and IPv4 subnet.
struct LanInterface {
    std::array<std::uint8_t, 6> mac{};
    std::array<std::uint8_t, 4> address{};  // IPv4
    std::uint8_t prefix = 0;                // 0..32
    bool operator==(const LanInterface&) const = default;
};
// endpoint → relay, after REGISTER: where it sits, so that it can be woken and wake others.
struct LanInfo {
    std::vector<LanInterface> interfaces;
    bool operator==(const LanInfo&) const = default;
};
// client → relay: wake this endpoint (through an online endpoint on its LAN).
struct WakeRequest {
    std::string endpoint;
    bool operator==(const WakeRequest&) const = default;
};
// relay → client: the packet went out, sent by endpoint `via`, for `mac`.
struct WakeSent {
    std::string via;
    std::array<std::uint8_t, 6> mac{};
    bool operator==(const WakeSent&) const = default;
};
// relay → endpoint: broadcast a magic packet for `mac` to `broadcast`:`port` on your LAN.
struct WakeOrder {
    std::array<std::uint8_t, 6> mac{};
    std::array<std::uint8_t, 4> broadcast{};
    std::uint16_t port = 9;
    bool operator==(const WakeOrder&) const = default;
};

// client → relay: every endpoint this client may see, online or not, with what the relay knows of it.
struct DetailsRequest {
    bool operator==(const DetailsRequest&) const = default;
};
struct EndpointDetails {
    std::string name;
    bool online = false;
    std::uint64_t since = 0;             // online since, else last seen; seconds since the epoch, 0 unknown
    std::string address;                 // the public address the relay sees it at (last saw it at)
    std::vector<std::string> services;   // those the client may open (online only)
    std::vector<std::string> wakers;     // online endpoints on its LAN that can wake it
    std::vector<std::string> candidates; // where its direct listener may be reached (online only)
    bool operator==(const EndpointDetails&) const = default;
};
// relay → client.
struct DetailsReply {
    std::vector<EndpointDetails> endpoints;
    bool operator==(const DetailsReply&) const = default;
};

inline constexpr std::size_t kMaxAddressLen = 64;

inline constexpr std::size_t kMaxCandidates = 8;       // per DIRECT_INFO / DIRECT_REPLY
inline constexpr std::size_t kMaxCandidateLen = 80;    // "host:port"

// endpoint → relay, after REGISTER and whenever they change: the addresses
// its direct listener may be reached at ("11.77.0.2:40001"); none withdraws them.
struct DirectInfo {
    std::vector<std::string> candidates;
    bool operator==(const DirectInfo&) const = default;
};
// client → relay: how can I reach this endpoint directly?
struct DirectRequest {
    std::string endpoint;
    bool operator==(const DirectRequest&) const = default;
};
// relay → client: the endpoint's key (to pin the direct TLS session) and its candidates.
struct DirectReply {
    std::string endpoint;
    std::array<std::uint8_t, 32> key{};
    std::vector<std::string> candidates;
    bool operator==(const DirectReply&) const = default;
};

using ControlMessage = std::variant<Register, Registered, ListRequest, ListReply, ControlError, ResumeTicket,
                                    CheckRequest, CheckReply, LanInfo, WakeRequest, WakeSent, WakeOrder,
                                    DetailsRequest, DetailsReply, DirectInfo, DirectRequest, DirectReply>;

std::vector<std::uint8_t> encode_control(const ControlMessage& msg);
// Validates kinds, lengths, counts and name syntax; rejects trailing bytes.
std::error_code decode_control(std::span<const std::uint8_t> payload, ControlMessage& out) noexcept;

// Endpoint and service names: 1..63 of [A-Za-z0-9._-], not starting with '.' or '-'.
bool is_valid_name(std::string_view name) noexcept;

// A direct candidate: "host:port" with a port 1..65535, the host an IPv4
// address, "[IPv6]" or a DNS name; at most kMaxCandidateLen bytes.
bool is_valid_candidate(std::string_view text) noexcept;

// Parses "endpoint/service" into its two valid names.
bool parse_target(std::string_view target, std::string& endpoint, std::string& service);

}  // namespace burrow::proto
