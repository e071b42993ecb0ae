#include "app/version.hpp"

#include "app/version_info.hpp"  // generated in the build tree by app/version.cmake

namespace burrow::app {

std::string version_line() { return "burrow " BURROW_VERSION " (commit " BURROW_COMMIT ")"; }

}  // namespace burrow::app
