#pragma once
// The relay's name for one session, from authentication to close: a number it
// hands out, never reused while it runs.
#include <cstdint>

namespace burrow::relay {

enum class SessionId : std::uint64_t { none = 0 };

}  // namespace burrow::relay
