#pragma once
// Buffers shared by every stream on a thread. A stream reads into one only
// when input is there (ByteStream::try_read) and hands the bytes on before it
// waits again, so an idle stream or session holds no buffer of its own.
#include <cstdint>
#include <span>
#include <vector>

namespace burrow::io {

// Where try_read() puts what it reads: 64 KiB.
std::span<std::uint8_t> read_scratch();

// Where a codec puts what it encoded, until the mux takes it. Cleared by the caller.
std::vector<std::uint8_t>& encode_scratch();

}  // namespace burrow::io
