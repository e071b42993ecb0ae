#pragma once
// The end-to-end layer as a StreamCodec: runs crypto::E2eHandshake in the
// stream's first bytes, then seals and opens records (or, for a service with
// end-to-end encryption switched off, passes bytes through after the same
// authenticated handshake).
#include <memory>

#include "crypto/e2e_handshake.hpp"
#include "io/stream_codec.hpp"

namespace burrow::io {

std::unique_ptr<StreamCodec> make_e2e_codec(crypto::E2eHandshake handshake);

}  // namespace burrow::io
