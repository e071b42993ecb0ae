#pragma once
// The relay's status for a terminal, as `burrow status` prints it.
#include <string>

#include "relay/status.hpp"

namespace burrow::relay {

std::string status_text(const RelayStatus& status);

}  // namespace burrow::relay
