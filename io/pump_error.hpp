#pragma once
// How a StreamPump's stream failed, as its owner learns it: a code to act on
// (which log level, whether to ask again) and the words for people, which
// are also the reason its RESET carries to the peer.
#include <string>
#include <system_error>

namespace burrow::io {

enum class PumpErrc {
    local_failed = 1,   // reading or writing the local connection failed
    dial_failed,        // the local side could not be connected
    handshake_timeout,  // the peer did not finish the end-to-end handshake in time
    refused,            // the peer was refused before the handshake (its key, a stopping relay)
    end_to_end,         // the end-to-end layer failed: `cause` is its crypto::E2eErrc
    rejected,           // the peer rejected the stream: `cause` is its proto::Errc
    reset_by_peer,      // the peer reset the stream: `cause` is its proto::Errc
    session_closed,     // the session under the stream ended
};

const std::error_category& pump_category() noexcept;
std::error_code make_error_code(PumpErrc e) noexcept;

struct PumpError {
    std::error_code code;   // a PumpErrc; none for a stream that ended cleanly
    std::error_code cause;  // the code of the layer that failed, where it has one
    std::string detail;     // that layer's words: the peer's reason, the dial's failure

    explicit operator bool() const noexcept { return static_cast<bool>(code); }
    // "stream reset by peer: DETAIL", "session closed: DETAIL",
    // "end-to-end: DETAIL", else DETAIL; empty for a clean end.
    std::string message() const;
};

}  // namespace burrow::io

template <>
struct std::is_error_code_enum<burrow::io::PumpErrc> : std::true_type {};
