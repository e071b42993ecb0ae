#include "crypto/link_records.hpp"

#include <algorithm>
#include <cstring>

namespace burrow::crypto {

std::size_t LinkSealer::wire_size(std::span<const std::uint8_t> in) const noexcept {
    proto::FrameCursor cursor = cursor_;
    std::size_t total = 0;
    while (!in.empty()) {
        if (cursor.raw_due() > 0) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(cursor.raw_due(), in.size()));
            cursor.raw(n);
            total += n;
            in = in.subspan(n);
            continue;
        }
        const std::size_t n = cursor.sealed(in);
        total += RecordSealer::sealed_size(n);
        in = in.subspan(n);
    }
    return total;
}

std::error_code LinkSealer::seal(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) {
    if (out.size() != wire_size(in)) {
        sealer_ = RecordSealer();
        return E2eErrc::closed;
    }
    std::size_t at = 0;
    while (!in.empty()) {
        if (cursor_.raw_due() > 0) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(cursor_.raw_due(), in.size()));
            std::memcpy(out.data() + at, in.data(), n);
            cursor_.raw(n);
            at += n;
            in = in.subspan(n);
            continue;
        }
        const std::size_t n = cursor_.sealed(in);
        const std::size_t sealed = RecordSealer::sealed_size(n);
        if (auto ec = sealer_.seal(in.first(n), out.subspan(at, sealed))) return ec;
        at += sealed;
        in = in.subspan(n);
    }
    return {};
}

std::error_code LinkOpener::fail(std::error_code ec) noexcept {
    failed_ = true;
    opener_ = RecordOpener();
    return ec;
}

std::error_code LinkOpener::open(std::span<const std::uint8_t> in, std::span<std::uint8_t> out,
                                 std::size_t& written) {
    written = 0;
    if (failed_) return E2eErrc::closed;
    if (out.size() < held() + in.size()) return fail(E2eErrc::malformed);
    while (!in.empty()) {
        if (cursor_.raw_due() > 0) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(cursor_.raw_due(), in.size()));
            std::memcpy(out.data() + written, in.data(), n);
            cursor_.raw(n);
            written += n;
            in = in.subspan(n);
            continue;
        }
        const std::size_t part = opener_.record_part(in);
        std::size_t n = 0;
        if (auto ec = opener_.open(in.first(part), out.subspan(written), n)) return fail(ec);
        in = in.subspan(part);
        if (opener_.mid_record()) continue;
        // A whole record: its plaintext may end with the header of an
        // end-to-end payload, but never go on past it.
        if (cursor_.sealed(out.subspan(written, n)) != n) return fail(E2eErrc::malformed);
        written += n;
    }
    return {};
}

std::error_code LinkOpener::open(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
    const std::size_t start = out.size();
    out.resize(start + held() + in.size());
    std::size_t written = 0;
    const auto ec = open(in, std::span<std::uint8_t>(out).subspan(start), written);
    out.resize(start + written);
    return ec;
}

}  // namespace burrow::crypto
