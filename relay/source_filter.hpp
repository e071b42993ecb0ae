#pragma once
// Which source addresses may use an exposed port: a list of CIDRs
// ("203.0.113.0/24", "2001:db8::/32", or one address). An empty list admits
// everyone.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace burrow::relay {

class SourceFilter {
public:
    // Throws std::invalid_argument naming the entry that is not a CIDR.
    explicit SourceFilter(const std::vector<std::string>& cidrs = {});
    // `address`: an IPv4 or IPv6 address as text (an IPv4-mapped IPv6 one counts as IPv4).
    bool admits(std::string_view address) const;
    bool everyone() const noexcept { return ranges_.empty(); }

private:
    struct Range {
        std::array<std::uint8_t, 16> bytes{};
        bool v4 = false;
        unsigned prefix = 0;
    };
    std::vector<Range> ranges_;
};

}  // namespace burrow::relay
