#pragma once
// An IPv4 or IPv6 address as 16 bytes (IPv4 in the first 4), parsed from text.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace burrow::relay {

struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};
    bool v4 = false;
};

// An IPv4-mapped IPv6 address (::ffff:1.2.3.4) counts as IPv4; nullopt if `text` is no address.
std::optional<IpAddress> parse_ip(std::string_view text);

// Whether the first `bits` bits of `a` and `b` agree.
bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, unsigned bits);

// Whom a connection counts against: its IPv4 address, or its IPv6 /64 (one
// subscriber's share, which an attacker can fill with addresses at will).
// Text that is no address stands for itself.
std::string source_of(std::string_view address);

// "1.2.3.4" of "1.2.3.4:5678", "::1" of "[::1]:5678".
std::string host_of(const std::string& address);

}  // namespace burrow::relay
