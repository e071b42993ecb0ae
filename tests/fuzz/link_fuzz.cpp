// libFuzzer target for the link: records (crypto/record) that carry a
// session's frames, opened and fed to a Mux as io/link_stream and
// io/session do. The first byte picks the mode and the cut:
//   bit  0    0: the rest is raw wire bytes, 1: the rest is the plaintext a
//             peer holding the link key sends (sealed here)
//   bit  1    with mode 1: one bit of the wire is flipped, at the position
//             the next two bytes name
//   bits 2-7  bytes per read (0: all at once)
// Invariants: the mux receives exactly the plaintext of the records that
// authenticate, in order; after an altered record nothing more arrives;
// opening into a buffer gives what opening into a vector gives.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "crypto/record.hpp"
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

// Opens `wire` in reads of `chunk` bytes and hands the plaintext to a mux,
// as LinkByteStream::try_read and Session::read_loop do. Returns what the mux got.
// A second opener opens the same reads straight into a buffer, as a link does
// when the reader's buffer has room: it must see the same bytes and errors.
Bytes open_into_mux(std::span<const std::uint8_t> wire, std::size_t chunk, bool& failed) {
    crypto::RecordOpener opener(crypto::Cipher::chacha20poly1305, link_key());
    crypto::RecordOpener in_place(crypto::Cipher::chacha20poly1305, link_key());
    proto::Mux mux(proto::Role::acceptor);
    Bytes delivered, plain, buffer;
    failed = false;
    for (std::size_t pos = 0; pos < wire.size(); pos += chunk) {
        plain.clear();
        const auto piece = wire.subspan(pos, std::min(chunk, wire.size() - pos));
        const auto ec = opener.open(piece, plain);
        buffer.resize(in_place.held() + piece.size());
        std::size_t written = 0;
        const auto ec_in_place = in_place.open(piece, buffer, written);
        check(ec == ec_in_place && written == plain.size() && std::equal(plain.begin(), plain.end(), buffer.begin()));
        delivered.insert(delivered.end(), plain.begin(), plain.end());
        if (!plain.empty()) (void)mux.receive(plain);
        while (mux.poll_event()) {
        }
        if (ec) {
            failed = true;
            break;
        }
    }
    if (opener.mid_record()) failed = true;  // the link ends in the middle of a record: an error
    return delivered;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const std::uint8_t control = data[0];
    const std::size_t chunk = (control >> 2) ? (control >> 2) : SIZE_MAX;
    std::span<const std::uint8_t> in(data + 1, size - 1);
    bool failed = false;
    if (!(control & 1)) {
        (void)open_into_mux(in, chunk, failed);
        return 0;
    }
    const std::size_t flip_at = proto::load_be16(in.data());
    in = in.subspan(2);
    crypto::RecordSealer sealer(crypto::Cipher::chacha20poly1305, link_key());
    Bytes wire;
    check(!sealer.seal(in, wire));
    const bool flip = (control & 2) && !wire.empty();
    const std::size_t bit = flip ? flip_at % (wire.size() * 8) : 0;
    if (flip) wire[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    const Bytes delivered = open_into_mux(wire, chunk, failed);
    check(delivered.size() <= in.size());
    check(std::equal(delivered.begin(), delivered.end(), in.begin()));
    if (!flip) {
        check(!failed && delivered.size() == in.size());
    } else {
        // Everything before the altered record, and nothing of it or after it.
        check(failed);
        const std::size_t record = bit / 8 / (crypto::RecordSealer::kMaxPlain + crypto::RecordSealer::kOverhead);
        check(delivered.size() == record * crypto::RecordSealer::kMaxPlain);
    }
    return 0;
}
