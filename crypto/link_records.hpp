#pragma once
// The two directions of a link (docs/PROTOCOL.md §1.3): a session's frames
// in link records, except the payloads of DATA frames flagged E2E, which are
// end-to-end records already and go between the link records as they are.
// Both ends walk the frames with a proto::FrameCursor from the connection's
// first byte, so the receiver knows where those payloads are; every frame
// header, and every other payload, is sealed.
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "crypto/record.hpp"
#include "proto/frame_cursor.hpp"

namespace burrow::crypto {

class LinkSealer {
public:
    LinkSealer() noexcept = default;
    explicit LinkSealer(RecordSealer sealer) noexcept : sealer_(std::move(sealer)) {}

    // Bytes seal() writes for the session bytes `in`, which come next.
    std::size_t wire_size(std::span<const std::uint8_t> in) const noexcept;
    // Writes `in` to `out` (exactly wire_size(in) bytes, else closed):
    // sealed, but for end-to-end payloads. Errors as RecordSealer::seal;
    // after one, nothing more is sealed.
    std::error_code seal(std::span<const std::uint8_t> in, std::span<std::uint8_t> out);

private:
    RecordSealer sealer_;
    proto::FrameCursor cursor_;
};

class LinkOpener {
public:
    LinkOpener() noexcept = default;
    explicit LinkOpener(RecordOpener opener) noexcept : opener_(std::move(opener)) {}

    // Consumes all of `in`, writing the session bytes it completes to `out`
    // (which must hold held() + in.size() bytes, else malformed) and their
    // number to `written`. Errors as RecordOpener::open, and malformed for a
    // record that goes on past the header of an end-to-end payload; the
    // bytes before the bad record are written, and the opener is closed.
    std::error_code open(std::span<const std::uint8_t> in, std::span<std::uint8_t> out, std::size_t& written);
    // The same, appending to `out`.
    std::error_code open(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);

    // Bytes of an end-to-end payload due next (0: a record is due). The
    // caller may read up to that many straight into its buffer and say so
    // with passed_raw(): they are the session's bytes as they are.
    std::uint64_t raw_due() const noexcept { return failed_ ? 0 : cursor_.raw_due(); }
    void passed_raw(std::size_t n) noexcept { cursor_.raw(n); }

    // The peer sent the end-of-stream record (a link never does; see RecordOpener).
    bool peer_closed() const noexcept { return opener_.peer_closed(); }
    // Input that ends here was cut short: in a record or an end-to-end payload.
    bool mid_record() const noexcept { return opener_.mid_record() || cursor_.raw_due() > 0; }
    std::size_t held() const noexcept { return opener_.held(); }

private:
    std::error_code fail(std::error_code ec) noexcept;

    RecordOpener opener_;
    proto::FrameCursor cursor_;
    bool failed_ = false;
};

}  // namespace burrow::crypto
