#pragma once
// The relay's status as JSON: what the control socket answers to "status"
// and `burrow status --json` prints. Field names are part of burrow's
// interface for scripts (README, "Watching a relay").
#include <string>

#include "relay/status.hpp"

namespace burrow::relay {

std::string status_json(const RelayStatus& status);
// Throws std::runtime_error if `text` is not a relay status.
RelayStatus parse_status_json(const std::string& text);

}  // namespace burrow::relay
