#include "relay/source_filter.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace burrow::relay {

namespace {

// The address's 16 bytes (IPv4 in the first 4) and whether it is IPv4.
std::optional<std::pair<std::array<std::uint8_t, 16>, bool>> parse_address(std::string_view text) {
    std::array<std::uint8_t, 16> bytes{};
    const std::string s(text);
    if (::inet_pton(AF_INET, s.c_str(), bytes.data()) == 1) return std::pair{bytes, true};
    if (::inet_pton(AF_INET6, s.c_str(), bytes.data()) != 1) return std::nullopt;
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(bytes.data(), kMapped, 12) == 0) {  // ::ffff:1.2.3.4
        std::array<std::uint8_t, 16> v4{};
        std::memcpy(v4.data(), bytes.data() + 12, 4);
        return std::pair{v4, true};
    }
    return std::pair{bytes, false};
}

bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, unsigned bits) {
    const unsigned whole = bits / 8, rest = bits % 8;
    if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
    if (rest == 0) return true;
    const std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

SourceFilter::SourceFilter(const std::vector<std::string>& cidrs) {
    for (const auto& text : cidrs) {
        const auto slash = text.find('/');
        const auto address = parse_address(std::string_view(text).substr(0, slash));
        if (!address) throw std::invalid_argument("'" + text + "' is not an address or CIDR (203.0.113.0/24)");
        Range range{address->first, address->second, address->second ? 32u : 128u};
        if (slash != std::string::npos) {
            unsigned prefix = 0;
            const char* begin = text.data() + slash + 1;
            const char* end = text.data() + text.size();
            const auto [at, ec] = std::from_chars(begin, end, prefix);
            if (begin == end || ec != std::errc{} || at != end || prefix > range.prefix)
                throw std::invalid_argument("'" + text + "' is not an address or CIDR (203.0.113.0/24)");
            range.prefix = prefix;
        }
        ranges_.push_back(range);
    }
}

bool SourceFilter::admits(std::string_view address) const {
    if (ranges_.empty()) return true;
    const auto parsed = parse_address(address);
    if (!parsed) return false;
    for (const auto& r : ranges_)
        if (r.v4 == parsed->second && same_prefix(r.bytes, parsed->first, r.prefix)) return true;
    return false;
}

}  // namespace burrow::relay
