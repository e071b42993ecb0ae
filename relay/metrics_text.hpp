#pragma once
// The relay's status in the Prometheus text exposition format (version 0.0.4),
// as the admin listener serves it on /metrics.
#include <string>

#include "relay/status.hpp"

namespace burrow::relay {

std::string prometheus_text(const RelayStatus& status);

}  // namespace burrow::relay
