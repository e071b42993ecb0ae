#pragma once
// E2eHandshake: the end-to-end handshake of one tunnel stream, between a
// client and an endpoint, through a relay that must learn nothing. Both
// static keys are known in advance: the client pins the endpoint's key, the
// endpoint learns the client's key from the relay. Sans-I/O: bytes in
// (consume), bytes out (take_output). On the wire, before any record:
//   msg1 client->endpoint, 38 bytes: "BRE1" | version 1 | cipher offer bits |
//        client ephemeral X25519 public (32)
//   msg2 endpoint->client, 66 bytes: endpoint ephemeral (32) | cipher | mode
//        (1 encrypted, 0 plain) | tag (32)
//   msg3 client->endpoint, 32 bytes: tag
// The keys come from X25519 ee, es and se, keyed by a BLAKE2b hash of the
// transcript (target, both statics, msg1, endpoint ephemeral, cipher, mode),
// so a relay that changes any byte, or a peer without the expected static
// key, makes the tags differ (auth_failed). Records follow (crypto/record.hpp).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "crypto/e2e_errc.hpp"
#include "crypto/identity.hpp"
#include "crypto/record.hpp"

namespace burrow::crypto {

// One side of the handshake. Holds its secrets on the heap and wipes them as
// soon as they are used, on failure and on destruction. Move-only; a
// moved-from handshake is failed (consume() returns E2eErrc::closed).
class E2eHandshake {
public:
    static constexpr std::size_t kMsg1Size = 38;
    static constexpr std::size_t kMsg2Size = 66;
    static constexpr std::size_t kMsg3Size = 32;

    // The client side; msg1 is ready in take_output() at once. `ciphers`
    // restricts the offer (Cipher bits; tests force ChaCha20 this way). An
    // endpoint key that is not a valid point, or an empty offer, is reported
    // by the first consume(): msg1 is still produced.
    static E2eHandshake client(const Identity& me, const PublicKey& endpoint_key, std::string_view target,
                               std::uint8_t ciphers = kCipherOfferAll);
    // The endpoint side; `encrypt` is the mode it imposes (false: records are
    // not used, the stream is still authenticated). `ciphers` as for client().
    // A client key that is not a valid point is reported by the first consume().
    static E2eHandshake endpoint(const Identity& me, const PublicKey& client_key, std::string_view target,
                                 bool encrypt, std::uint8_t ciphers = kCipherOfferAll);

    E2eHandshake(E2eHandshake&&) noexcept;
    E2eHandshake& operator=(E2eHandshake&&) noexcept;
    ~E2eHandshake();

    // Bytes to send now (msg1 at start for the client; msg2 for the endpoint
    // after msg1; msg3 for the client after msg2). Empties the buffer.
    std::vector<std::uint8_t> take_output();

    // Feeds peer bytes, any split; sets `used` to how many were handshake
    // bytes (the rest belong to the records that follow). A partial message
    // is kept until the rest arrives. Errors: bad_magic, unsupported,
    // no_common_cipher, bad_key, malformed, auth_failed; then the handshake is
    // failed, every later call returns the same error and the stream must be
    // reset. The endpoint is done only after msg3 verified, so it never
    // releases plaintext to an unauthenticated client.
    std::error_code consume(std::span<const std::uint8_t> in, std::size_t& used);

    // Keys available (client: after msg2 verified; endpoint: after msg3 verified).
    bool done() const noexcept;
    // The mode chosen by the endpoint; meaningful once done().
    bool encrypted() const noexcept;
    // The cipher chosen by the endpoint; meaningful once done().
    Cipher cipher() const noexcept;

    // Seals with this side's send key. The key moves into the sealer: only
    // the first call after done() yields a live sealer, later calls (and
    // calls before done()) a closed one, so a nonce is never used twice.
    RecordSealer sealer() const;
    // Opens with this side's receive key; once, like sealer().
    RecordOpener opener() const;

private:
    struct State;
    explicit E2eHandshake(std::unique_ptr<State> state) noexcept;

    std::unique_ptr<State> state_;
};

}  // namespace burrow::crypto
