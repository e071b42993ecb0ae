#include "relay/source_filter.hpp"

#include <charconv>
#include <stdexcept>

#include "relay/ip_address.hpp"

namespace burrow::relay {

SourceFilter::SourceFilter(const std::vector<std::string>& cidrs) {
    for (const auto& text : cidrs) {
        const auto slash = text.find('/');
        const auto address = parse_ip(std::string_view(text).substr(0, slash));
        if (!address) throw std::invalid_argument("'" + text + "' is not an address or CIDR (203.0.113.0/24)");
        Range range{address->bytes, address->v4, address->v4 ? 32u : 128u};
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
    const auto parsed = parse_ip(address);
    if (!parsed) return false;
    for (const auto& r : ranges_)
        if (r.v4 == parsed->v4 && same_prefix(r.bytes, parsed->bytes, r.prefix)) return true;
    return false;
}

}  // namespace burrow::relay
