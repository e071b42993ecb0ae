#include "proto/errc.hpp"

#include <string>

namespace burrow::proto {
namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "burrow"; }
    std::string message(int value) const override {
        switch (static_cast<Errc>(value)) {
            case Errc::protocol_error: return "protocol error";
            case Errc::unsupported_version: return "no common protocol version";
            case Errc::unknown_frame_type: return "unknown frame type";
            case Errc::frame_too_large: return "frame too large";
            case Errc::malformed_frame: return "malformed frame";
            case Errc::flow_control: return "flow control violated";
            case Errc::bad_stream_id: return "bad stream id";
            case Errc::too_many_streams: return "too many streams";
            case Errc::unknown_endpoint: return "unknown endpoint";
            case Errc::unknown_service: return "unknown service";
            case Errc::service_unavailable: return "service unavailable";
            case Errc::cancelled: return "cancelled";
            case Errc::session_closed: return "session closed";
            case Errc::overloaded: return "overloaded";
            case Errc::name_in_use: return "name in use";
            case Errc::not_authorized: return "not authorized";
            case Errc::internal_error: return "internal error";
            case Errc::going_away: return "going away";
            case Errc::timeout: return "timed out";
            case Errc::bad_target: return "bad target";
        }
        return "unknown error " + std::to_string(value);
    }
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const Category category;
    return category;
}

std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), error_category()}; }

Errc errc_from_wire(std::uint16_t value) noexcept {
    if (value == 0 || value > kLastErrc) return Errc::protocol_error;
    return static_cast<Errc>(value);
}

std::string_view errc_name(Errc e) noexcept {
    switch (e) {
        case Errc::protocol_error: return "protocol_error";
        case Errc::unsupported_version: return "unsupported_version";
        case Errc::unknown_frame_type: return "unknown_frame_type";
        case Errc::frame_too_large: return "frame_too_large";
        case Errc::malformed_frame: return "malformed_frame";
        case Errc::flow_control: return "flow_control";
        case Errc::bad_stream_id: return "bad_stream_id";
        case Errc::too_many_streams: return "too_many_streams";
        case Errc::unknown_endpoint: return "unknown_endpoint";
        case Errc::unknown_service: return "unknown_service";
        case Errc::service_unavailable: return "service_unavailable";
        case Errc::cancelled: return "cancelled";
        case Errc::session_closed: return "session_closed";
        case Errc::overloaded: return "overloaded";
        case Errc::name_in_use: return "name_in_use";
        case Errc::not_authorized: return "not_authorized";
        case Errc::internal_error: return "internal_error";
        case Errc::going_away: return "going_away";
        case Errc::timeout: return "timeout";
        case Errc::bad_target: return "bad_target";
    }
    return "unknown";
}

}  // namespace burrow::proto
