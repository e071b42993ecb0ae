// libFuzzer target for the end-to-end layer. The first byte picks a mode:
//   0: bytes from a client, fed to an endpoint-side E2eHandshake, then (if
//      it ever completes) to its RecordOpener
//   1: bytes from an endpoint, fed to a client-side E2eHandshake after msg1
//   2: bytes fed straight to a RecordOpener with a fixed key
//   3: a RecordSealer seals the data, one byte is altered, a RecordOpener
//      must then yield a prefix of the data and nothing else
// The second byte sets the split (1..64 bytes, or all at once) and the cipher.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <utility>
#include <vector>

#include "crypto/e2e_handshake.hpp"
#include "crypto/record.hpp"

using namespace burrow::crypto;

namespace {

struct Fixed {
    Identity client = Identity::generate();
    Identity endpoint = Identity::generate();
    std::array<std::uint8_t, 32> key{};
};

const Fixed& fixed() {
    static const Fixed f = [] {
        Fixed made;
        for (std::size_t i = 0; i < made.key.size(); ++i) made.key[i] = static_cast<std::uint8_t>(i * 29 + 3);
        return made;
    }();
    return f;
}

void check(bool ok) {
    if (!ok) std::abort();
}

Cipher pick(std::uint8_t control) {
    const bool aes = (control & 0x80) && (available_ciphers() & static_cast<std::uint8_t>(Cipher::aes256gcm));
    return aes ? Cipher::aes256gcm : Cipher::chacha20poly1305;
}

std::size_t split(std::uint8_t control) {
    const std::size_t n = control & 0x3f;
    return n == 0 ? SIZE_MAX : n;
}

// Feeds `in` to the opener in pieces; returns the first error.
std::error_code open_split(RecordOpener& opener, std::span<const std::uint8_t> in, std::size_t chunk,
                           std::vector<std::uint8_t>& plain) {
    while (!in.empty()) {
        const auto piece = in.first(std::min(chunk, in.size()));
        if (auto ec = opener.open(piece, plain)) return ec;
        in = in.subspan(piece.size());
    }
    return {};
}

void handshake(E2eHandshake h, std::span<const std::uint8_t> in, std::size_t chunk) {
    while (!in.empty()) {
        const auto piece = in.first(std::min(chunk, in.size()));
        std::size_t used = 0;
        const auto ec = h.consume(piece, used);
        check(used <= piece.size());
        if (ec) {
            check(!h.done());
            std::size_t again = 0;
            check(h.consume(piece, again) == ec);
            return;
        }
        check(h.take_output().size() <= E2eHandshake::kMsg2Size);
        if (h.done()) {
            auto opener = h.opener();
            std::vector<std::uint8_t> plain;
            (void)open_split(opener, in.subspan(used), chunk, plain);
            return;
        }
        in = in.subspan(piece.size());
    }
}

void round_trip(std::span<const std::uint8_t> in, std::uint8_t control) {
    if (in.size() < 3) return;
    const std::size_t position = (std::size_t{in[0]} << 8) | in[1];
    const std::uint8_t flip = in[2];
    const auto data = in.subspan(3);
    RecordSealer sealer(pick(control), E2eSecret(fixed().key));
    std::vector<std::uint8_t> wire;
    check(!sealer.seal(data, wire));
    check(wire.size() == RecordSealer::sealed_size(data.size()));
    if (!wire.empty()) wire[position % wire.size()] ^= flip;
    RecordOpener opener(pick(control), E2eSecret(fixed().key));
    std::vector<std::uint8_t> plain;
    const auto ec = open_split(opener, wire, split(control), plain);
    check(plain.size() <= data.size() && std::equal(plain.begin(), plain.end(), data.begin()));
    if (flip == 0 || wire.empty()) check(!ec && plain.size() == data.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::uint8_t mode = data[0] & 3;
    const std::uint8_t control = data[1];
    const std::span<const std::uint8_t> in(data + 2, size - 2);
    const Fixed& f = fixed();
    const bool encrypt = control & 0x40;
    switch (mode) {
        case 0:
            handshake(E2eHandshake::endpoint(f.endpoint, f.client.public_key(), "fuzz/svc", encrypt), in,
                      split(control));
            break;
        case 1: {
            auto client = E2eHandshake::client(f.client, f.endpoint.public_key(), "fuzz/svc");
            check(client.take_output().size() == E2eHandshake::kMsg1Size);
            handshake(std::move(client), in, split(control));
            break;
        }
        case 2: {
            RecordOpener opener(pick(control), E2eSecret(f.key));
            std::vector<std::uint8_t> plain;
            if (open_split(opener, in, split(control), plain)) check(opener.open(in, plain) == E2eErrc::closed);
            break;
        }
        default:
            round_trip(in, control);
    }
    return 0;
}
