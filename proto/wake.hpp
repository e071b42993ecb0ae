#pragma once
// Wake-on-LAN: MAC addresses, SecureOn passwords and the magic packet
// (6 × 0xFF, the MAC 16 times, then the password if any), as `wakeonlan`
// and `etherwake` send it. Parsing only: sending is io/wake_sender.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/control.hpp"

namespace burrow::proto {

using MacAddress = std::array<std::uint8_t, 6>;

inline constexpr std::size_t kMagicPacketSize = 6 + 16 * 6;  // 102; 106 or 108 with a password
inline constexpr std::string_view kMacForm = "aa:bb:cc:dd:ee:ff";
inline constexpr std::string_view kPasswordForm = "six bytes like a MAC (aa:bb:cc:dd:ee:ff) or four as 192.168.1.1";

// "aa:bb:cc:dd:ee:ff", "aa-bb-cc-dd-ee-ff" or "aabbccddeeff", any case.
std::optional<MacAddress> parse_mac(std::string_view text);
// "aa:bb:cc:dd:ee:ff", lower case.
std::string format_mac(const MacAddress& mac);

// A SecureOn password: 6 bytes written like a MAC, or 4 bytes as dotted decimals.
std::optional<std::vector<std::uint8_t>> parse_secureon(std::string_view text);

// "192.168.77.10"
std::string ipv4_text(const std::array<std::uint8_t, 4>& address);
// "192.168.77.0/24" of an interface, and its broadcast address (192.168.77.255).
std::string subnet_text(const LanInterface& itf);
std::array<std::uint8_t, 4> broadcast_of(const LanInterface& itf);

std::vector<std::uint8_t> magic_packet(const MacAddress& mac, std::span<const std::uint8_t> password = {});

}  // namespace burrow::proto
