#pragma once
// The relay's status for a terminal, as `burrow status` prints it.
#include <string>
#include <vector>

#include "relay/status.hpp"

namespace burrow::relay {

std::string status_text(const RelayStatus& status);

// Rows as columns padded to their widest cell, each line indented by two spaces.
std::string text_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace burrow::relay
