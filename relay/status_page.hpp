#pragma once
// The relay's status page: one HTML document with inline CSS, no scripts and
// nothing fetched from elsewhere, as the admin listener serves it on /.
#include <string>

#include "relay/status.hpp"

namespace burrow::relay {

std::string status_html(const RelayStatus& status);

}  // namespace burrow::relay
