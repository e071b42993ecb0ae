#pragma once
// A session's connection to the relay once the TLS handshake is done: burrow
// records (crypto/link_records.hpp) over TCP (or any ByteStream), keyed from
// the TLS exporter (crypto/link_keys.hpp, docs/PROTOCOL.md §1.3); end-to-end
// payloads pass between them as they are. Holds no buffer while idle:
// it reads into a per-thread buffer and keeps only a partial record or
// plaintext the caller had no room for.
#include <memory>

#include "crypto/link_keys.hpp"
#include "io/byte_stream.hpp"

namespace burrow::io {

std::unique_ptr<ByteStream> make_link_stream(std::unique_ptr<ByteStream> transport, crypto::LinkKeys keys);

}  // namespace burrow::io
