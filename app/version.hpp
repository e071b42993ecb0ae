#pragma once
// burrow's version, as `burrow --version` prints it.
#include <string>

namespace burrow::app {

// "burrow 0.1.0 (commit 1a2b3c4d5e6f)": the CMake project version and the git
// commit of the build ("unknown" when built outside a git checkout).
std::string version_line();

}  // namespace burrow::app
