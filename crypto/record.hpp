#pragma once
// AEAD records of the end-to-end layer, carried in a tunnel stream's bytes
// after E2eHandshake is done, and of the link between a peer and the relay
// after the TLS handshake (crypto/link_keys.hpp). One record on the wire:
//   u16 length, big-endian (ciphertext with its 16-byte tag: 16..16400) | ciphertext
// A record of length 16 (no plaintext) ends the direction: a stream cut short
// by the relay lacks it.
// nonce = 4 zero bytes | u64 record counter, big-endian; one counter per
// direction, starting at 0 and never sent. The associated data is the two
// length bytes. So a replayed, reordered, dropped or altered record fails
// authentication, and after any error the sealer or opener stays closed.
// A key seals at most records_per_key() records (2^24, below AES-GCM's limit
// in RFC 8446 §5.5): before record k·2^24 both ends replace it with
// BLAKE2b-256(key = the old key, "burrow record key"), in step, unsent.
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "crypto/e2e_errc.hpp"
#include "crypto/e2e_secret.hpp"

namespace burrow::crypto {

// Values double as bits of the handshake's cipher offer.
enum class Cipher : std::uint8_t { chacha20poly1305 = 1, aes256gcm = 2 };

// Offer mask meaning "every cipher this machine runs".
inline constexpr std::uint8_t kCipherOfferAll = 0xff;

// Bits of the ciphers this machine runs fast, which the end-to-end handshake
// offers: ChaCha20-Poly1305 always, AES-256-GCM when libsodium finds AES-NI
// and PCLMUL. Initializes libsodium.
std::uint8_t available_ciphers() noexcept;

struct RecordTestAccess;  // defined by tests only

inline constexpr std::uint64_t kRecordsPerKey = std::uint64_t{1} << 24;

// Records one key seals before it is replaced: kRecordsPerKey, or less when the
// environment sets BURROW_TEST_RECORDS_PER_KEY (tests only; both ends of a
// link or stream must agree, or its records fail to authenticate).
std::uint64_t records_per_key() noexcept;

// Seals one direction of a stream. Owns its key (wiped on destruction);
// move-only. Default-constructed, moved-from or after an error it is closed:
// seal() then returns E2eErrc::closed and writes nothing.
class RecordSealer {
public:
    static constexpr std::size_t kMaxPlain = 16384;
    static constexpr std::size_t kOverhead = 2 + 16;
    static constexpr std::uint64_t kMaxRecords = std::uint64_t{1} << 32;

    RecordSealer() noexcept = default;
    // Closed if `cipher` is not one of the two (OpenSSL runs either on any machine).
    RecordSealer(Cipher cipher, E2eSecret key) noexcept;
    RecordSealer(RecordSealer&& other) noexcept;
    RecordSealer& operator=(RecordSealer&& other) noexcept;

    // Appends records for all of `plain` (split into kMaxPlain pieces) to
    // `out`; nothing for an empty `plain`. record_limit, writing nothing, if
    // the pieces would take the direction past kMaxRecords records.
    std::error_code seal(std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& out);
    // The same into `out`, which must be exactly sealed_size(plain.size())
    // bytes (else closed); no zero-fill first.
    std::error_code seal(std::span<const std::uint8_t> plain, std::span<std::uint8_t> out);

    // Appends the end-of-stream record (no plaintext, only a tag); the sealer
    // is closed afterwards. The receiver tells a stream that ended this way
    // from one cut short (RecordOpener::peer_closed()).
    std::error_code seal_close(std::vector<std::uint8_t>& out);
    // Bytes seal() appends for `plain_len` bytes of plaintext.
    static std::size_t sealed_size(std::size_t plain_len) noexcept;
    Cipher cipher() const noexcept { return cipher_; }

private:
    friend struct RecordTestAccess;
    E2eSecret key_;
    std::uint64_t counter_ = 0;
    std::uint64_t per_key_ = records_per_key();
    Cipher cipher_ = Cipher::chacha20poly1305;
    bool live_ = false;
};

// Opens the other direction. Owns its key (wiped on destruction); move-only.
// Closed in the same cases as RecordSealer: open() then returns
// E2eErrc::closed and appends nothing.
class RecordOpener {
public:
    static constexpr std::size_t kMinCipher = 16;  // the end-of-stream record: a tag only
    static constexpr std::size_t kMaxCipher = RecordSealer::kMaxPlain + 16;

    RecordOpener() noexcept = default;
    RecordOpener(Cipher cipher, E2eSecret key) noexcept;
    RecordOpener(RecordOpener&& other) noexcept;
    RecordOpener& operator=(RecordOpener&& other) noexcept;

    // Consumes all of `in` and appends the plaintext of every complete record
    // to `plain`; keeps at most one partial record (bounded by 2 + kMaxCipher
    // bytes). Errors: malformed (length below kMinCipher), record_too_large,
    // auth_failed, record_limit; `plain` then holds the records before the
    // bad one, and the opener is closed.
    // Bytes after the end-of-stream record are malformed.
    std::error_code open(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& plain);
    // The same, writing the plaintext to `out` (no copy, no zero-fill) and
    // its size to `written`. `out` must hold held() + in.size() bytes, which
    // no plaintext of them exceeds; else malformed, nothing consumed.
    std::error_code open(std::span<const std::uint8_t> in, std::span<std::uint8_t> out, std::size_t& written);
    // The end-of-stream record arrived: the peer's direction ended as the peer meant it.
    bool peer_closed() const noexcept { return peer_closed_; }
    // Part of a record is held: input that ends here was cut short.
    bool mid_record() const noexcept { return !partial_.empty(); }
    // Bytes of a partial record held (at most 2 + kMaxCipher).
    std::size_t held() const noexcept { return partial_.size(); }
    // How many leading bytes of `in` belong to the record under way (or the
    // next one): open() on them opens at most that one record.
    std::size_t record_part(std::span<const std::uint8_t> in) const noexcept;

private:
    friend struct RecordTestAccess;
    // Opens one whole record into `at`, which has room for its plaintext.
    std::error_code open_one(std::span<const std::uint8_t> record, std::uint8_t* at);
    std::error_code fail(E2eErrc why) noexcept;

    E2eSecret key_;
    std::vector<std::uint8_t> partial_;
    std::uint64_t counter_ = 0;
    std::uint64_t per_key_ = records_per_key();
    Cipher cipher_ = Cipher::chacha20poly1305;
    bool live_ = false;
    bool peer_closed_ = false;
};

}  // namespace burrow::crypto
