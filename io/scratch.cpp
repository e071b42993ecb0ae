#include "io/scratch.hpp"

#include <array>

namespace burrow::io {

std::span<std::uint8_t> read_scratch() {
    thread_local std::array<std::uint8_t, 64 * 1024> buffer;
    return buffer;
}

std::vector<std::uint8_t>& encode_scratch() {
    thread_local std::vector<std::uint8_t> buffer;
    return buffer;
}

}  // namespace burrow::io
