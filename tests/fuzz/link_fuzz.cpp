// libFuzzer target for the link: a session's bytes in link records, with the
// payloads of DATA frames flagged E2E between them unsealed
// (crypto/link_records), opened and fed to a Mux as io/link_stream and
// io/session do. The first byte picks the mode and the cut:
//   bit  0    0: the rest is raw wire bytes, 1: the rest is the session bytes
//             a peer holding the link key sends (sealed here)
//   bit  1    with mode 1: one bit of the wire is flipped, at the position
//             the next two bytes name
//   bits 2-7  bytes per read (0: all at once)
// Invariants: the mux receives exactly the session bytes; a flipped bit in an
// end-to-end payload arrives as it is (the end-to-end records catch it), and
// anywhere else ends the link with nothing altered delivered; opening into a
// buffer gives what opening into a vector gives.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "crypto/link_records.hpp"
#include "proto/frame_cursor.hpp"
#include "proto/mux.hpp"
#include "proto/wire.hpp"

namespace {

using namespace burrow;
using Bytes = std::vector<std::uint8_t>;

void check(bool ok) {
    if (!ok) std::abort();
}

crypto::E2eSecret link_key() {
    std::array<std::uint8_t, 32> key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i * 13 + 5);
    return crypto::E2eSecret(key);
}

crypto::LinkOpener opener() {
    return crypto::LinkOpener(crypto::RecordOpener(crypto::Cipher::chacha20poly1305, link_key()));
}

// Opens `wire` in reads of `chunk` bytes and hands the session bytes to a
// mux, as LinkByteStream::try_read and Session::read_loop do. Returns what
// the mux got; `failed`: a record failed; `cut`: the wire ends inside a
// record or an end-to-end payload. A second opener opens the same reads
// straight into a buffer, as a link does when the reader's buffer has room:
// same bytes, same errors.
Bytes open_into_mux(std::span<const std::uint8_t> wire, std::size_t chunk, bool& failed, bool& cut) {
    crypto::LinkOpener into_vector = opener();
    crypto::LinkOpener in_place = opener();
    proto::Mux mux(proto::Role::acceptor);
    Bytes delivered, plain, buffer;
    failed = false;
    for (std::size_t pos = 0; pos < wire.size(); pos += chunk) {
        plain.clear();
        const auto piece = wire.subspan(pos, std::min(chunk, wire.size() - pos));
        const auto ec = into_vector.open(piece, plain);
        buffer.resize(in_place.held() + piece.size());
        std::size_t written = 0;
        const auto ec_in_place = in_place.open(piece, buffer, written);
        check(ec == ec_in_place && written == plain.size() && std::equal(plain.begin(), plain.end(), buffer.begin()));
        check(into_vector.raw_due() == in_place.raw_due());
        delivered.insert(delivered.end(), plain.begin(), plain.end());
        if (!plain.empty()) (void)mux.receive(plain);
        while (mux.poll_event()) {
        }
        if (ec) {
            failed = true;
            break;
        }
    }
    cut = into_vector.mid_record();  // a link that ends here fails too
    return delivered;
}

// Where the end-to-end payloads of `in` sit on the wire: {wire offset, offset in `in`, length}.
struct RawSpan {
    std::size_t wire, at, size;
};

// `raw_left`: end-to-end payload bytes the last frame of `in` lacks.
std::vector<RawSpan> raw_spans(std::span<const std::uint8_t> in, std::size_t& wire_size, std::uint64_t& raw_left) {
    std::vector<RawSpan> spans;
    proto::FrameCursor cursor;
    std::size_t at = 0;
    wire_size = 0;
    while (at < in.size()) {
        if (cursor.raw_due() > 0) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(cursor.raw_due(), in.size() - at));
            spans.push_back({wire_size, at, n});
            cursor.raw(n);
            wire_size += n;
            at += n;
            continue;
        }
        const std::size_t n = cursor.sealed(in.subspan(at));
        wire_size += crypto::RecordSealer::sealed_size(n);
        at += n;
    }
    raw_left = cursor.raw_due();
    return spans;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const std::uint8_t control = data[0];
    const std::size_t chunk = (control >> 2) ? (control >> 2) : SIZE_MAX;
    std::span<const std::uint8_t> in(data + 1, size - 1);
    bool failed = false;
    bool cut = false;
    if (!(control & 1)) {
        (void)open_into_mux(in, chunk, failed, cut);
        return 0;
    }
    const std::size_t flip_at = proto::load_be16(in.data());
    in = in.subspan(2);
    crypto::LinkSealer sealer(crypto::RecordSealer(crypto::Cipher::chacha20poly1305, link_key()));
    Bytes wire(sealer.wire_size(in));
    std::size_t expected_size = 0;
    std::uint64_t raw_left = 0;
    const auto spans = raw_spans(in, expected_size, raw_left);
    check(wire.size() == expected_size);
    check(!sealer.seal(in, wire));
    const bool flip = (control & 2) && !wire.empty();
    const std::size_t bit = flip ? flip_at % (wire.size() * 8) : 0;
    if (flip) wire[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    const Bytes delivered = open_into_mux(wire, chunk, failed, cut);
    if (!flip) {
        check(!failed && cut == (raw_left > 0) && delivered.size() == in.size() &&
              std::equal(delivered.begin(), delivered.end(), in.begin()));
        return 0;
    }
    const std::size_t byte = bit / 8;
    const auto raw = std::find_if(spans.begin(), spans.end(),
                                  [&](const RawSpan& s) { return byte >= s.wire && byte < s.wire + s.size; });
    if (raw != spans.end()) {
        Bytes altered(in.begin(), in.end());
        altered[raw->at + (byte - raw->wire)] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        check(!failed && cut == (raw_left > 0) && delivered == altered);
    } else {
        // Everything before the altered record at most, and nothing altered.
        check(failed || cut);
        check(delivered.size() <= in.size() && std::equal(delivered.begin(), delivered.end(), in.begin()));
    }
    return 0;
}
