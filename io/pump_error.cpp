#include "io/pump_error.hpp"

namespace burrow::io {
namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "burrow-pump"; }
    std::string message(int value) const override {
        switch (static_cast<PumpErrc>(value)) {
            case PumpErrc::local_failed: return "the local connection failed";
            case PumpErrc::dial_failed: return "the local side could not be connected";
            case PumpErrc::handshake_timeout: return "the end-to-end handshake did not finish in time";
            case PumpErrc::refused: return "the peer was refused";
            case PumpErrc::end_to_end: return "the end-to-end layer failed";
            case PumpErrc::rejected: return "the stream was rejected";
            case PumpErrc::reset_by_peer: return "stream reset by peer";
            case PumpErrc::session_closed: return "session closed";
        }
        return "unknown stream pump error " + std::to_string(value);
    }
};

}  // namespace

const std::error_category& pump_category() noexcept {
    static const Category category;
    return category;
}

std::error_code make_error_code(PumpErrc e) noexcept { return {static_cast<int>(e), pump_category()}; }

std::string PumpError::message() const {
    if (!code) return {};
    if (code == PumpErrc::reset_by_peer) return "stream reset by peer: " + detail;
    if (code == PumpErrc::session_closed) return "session closed: " + detail;
    if (code == PumpErrc::end_to_end) return "end-to-end: " + detail;
    return detail;
}

}  // namespace burrow::io
