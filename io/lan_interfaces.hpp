#pragma once
// This machine's LAN interfaces for Wake-on-LAN: for each interface that is
// up, has a MAC (not loopback) and an IPv4 address, its MAC and subnet.
#include <vector>

#include "proto/control.hpp"

namespace burrow::io {

std::vector<proto::LanInterface> lan_interfaces();

}  // namespace burrow::io
