#include "relay/status.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace burrow::relay {

std::string_view refusal_name(Refusal r) {
    static constexpr std::array<std::string_view, static_cast<std::size_t>(Refusal::count)> names{
        "handshake_limit", "unknown_key", "resume_refused", "register_denied", "bad_target",
        "rate_limit",      "not_granted", "no_endpoint",    "no_service",      "wake_denied", "session_limit"};
    return names.at(static_cast<std::size_t>(r));
}

std::string_view handshake_failure_name(HandshakeFailure f) {
    static constexpr std::array<std::string_view, static_cast<std::size_t>(HandshakeFailure::count)> names{
        "tls", "no_first_frame"};
    return names.at(static_cast<std::size_t>(f));
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const auto& s : items) {
        if (!out.empty()) out += separator;
        out += s;
    }
    return out;
}

std::string format_bytes(std::uint64_t bytes) {
    static constexpr std::array<const char*, 5> units{"kB", "MB", "GB", "TB", "PB"};
    if (bytes < 1000) return std::to_string(bytes) + " B";
    double value = static_cast<double>(bytes) / 1000;
    std::size_t unit = 0;
    while (value >= 1000 && unit + 1 < units.size()) {
        value /= 1000;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, value < 10 ? "%.2f %s" : value < 100 ? "%.1f %s" : "%.0f %s", value, units[unit]);
    return text;
}

std::string format_duration(std::int64_t seconds) {
    if (seconds < 0) seconds = 0;
    const std::int64_t d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60, s = seconds % 60;
    if (d > 0) return std::to_string(d) + "d " + std::to_string(h) + "h";
    if (h > 0) return std::to_string(h) + "h " + std::to_string(m) + "m";
    if (m > 0) return std::to_string(m) + "m " + std::to_string(s) + "s";
    return std::to_string(s) + "s";
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string format_utc(std::int64_t epoch_seconds) {
    const std::time_t t = static_cast<std::time_t>(epoch_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[40];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return text;
}

}  // namespace burrow::relay
