#pragma once
// Sends a Wake-on-LAN magic packet (proto/wake.hpp) as one UDP datagram,
// broadcast allowed, as `wakeonlan` does.
#include <cstdint>
#include <span>
#include <string>

namespace burrow::io {

// Sends `packet` to IPv4 `address`:`port`. Throws std::runtime_error naming
// the address on failure (not an IPv4 address, no route, not permitted...).
void send_wake_packet(const std::string& address, std::uint16_t port, std::span<const std::uint8_t> packet);

}  // namespace burrow::io
