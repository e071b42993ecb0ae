#pragma once
// Errors of the end-to-end layer (E2eHandshake, RecordSealer, RecordOpener).
// Every one of them means the tunnel stream must be reset; none is sent on
// the wire, so the numbers are local, but keep them stable for logs.
#include <string_view>
#include <system_error>

namespace burrow::crypto {

enum class E2eErrc {
    bad_magic = 1,     // the first bytes are not a burrow e2e handshake
    unsupported,       // the peer speaks another handshake version
    no_common_cipher,  // the offers of both sides do not intersect
    bad_key,           // a static or ephemeral key is invalid or of low order
    auth_failed,       // wrong peer key, altered, replayed, reordered or dropped data
    malformed,         // a field is out of range
    record_too_large,  // a record length above the maximum
    record_limit,      // 2^32 records sent or received in one direction
    closed,            // an earlier call failed; the stream is dead
    truncated,         // the stream ended without its end-of-stream record
};

const std::error_category& e2e_category() noexcept;
std::error_code make_error_code(E2eErrc e) noexcept;

// Short stable name for logs ("auth_failed").
std::string_view e2e_errc_name(E2eErrc e) noexcept;

}  // namespace burrow::crypto

template <>
struct std::is_error_code_enum<burrow::crypto::E2eErrc> : std::true_type {};
