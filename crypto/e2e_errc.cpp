#include "crypto/e2e_errc.hpp"

#include <string>

namespace burrow::crypto {
namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "burrow-e2e"; }
    std::string message(int value) const override {
        switch (static_cast<E2eErrc>(value)) {
            case E2eErrc::bad_magic:
                return "end-to-end handshake failed: the peer did not start a burrow end-to-end handshake";
            case E2eErrc::unsupported:
                return "end-to-end handshake failed: the peer speaks an unsupported version";
            case E2eErrc::no_common_cipher:
                return "end-to-end handshake failed: the two sides have no cipher in common";
            case E2eErrc::bad_key:
                return "end-to-end handshake failed: a public key is invalid or unsafe to use";
            case E2eErrc::auth_failed:
                return "end-to-end authentication failed: the peer does not hold the expected key "
                       "or the data was altered";
            case E2eErrc::malformed:
                return "end-to-end data is malformed";
            case E2eErrc::record_too_large:
                return "end-to-end record is larger than allowed";
            case E2eErrc::record_limit:
                return "end-to-end record limit reached: the stream must be reopened";
            case E2eErrc::closed:
                return "end-to-end stream is closed after an earlier error";
            case E2eErrc::truncated:
                return "end-to-end stream ended without its end-of-stream record: it was cut short on the way";
        }
        return "unknown end-to-end error " + std::to_string(value);
    }
};

}  // namespace

const std::error_category& e2e_category() noexcept {
    static const Category category;
    return category;
}

std::error_code make_error_code(E2eErrc e) noexcept { return {static_cast<int>(e), e2e_category()}; }

std::string_view e2e_errc_name(E2eErrc e) noexcept {
    switch (e) {
        case E2eErrc::bad_magic: return "bad_magic";
        case E2eErrc::unsupported: return "unsupported";
        case E2eErrc::no_common_cipher: return "no_common_cipher";
        case E2eErrc::bad_key: return "bad_key";
        case E2eErrc::auth_failed: return "auth_failed";
        case E2eErrc::malformed: return "malformed";
        case E2eErrc::record_too_large: return "record_too_large";
        case E2eErrc::record_limit: return "record_limit";
        case E2eErrc::closed: return "closed";
        case E2eErrc::truncated: return "truncated";
    }
    return "unknown";
}

}  // namespace burrow::crypto
