#include "crypto/record.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string_view>
#include <utility>

#include <openssl/evp.h>
#include <sodium.h>

namespace burrow::crypto {
namespace {

constexpr std::size_t kTag = 16;
constexpr std::size_t kHeader = 2;
using Nonce = std::array<std::uint8_t, 12>;

Nonce make_nonce(std::uint64_t counter) noexcept {
    Nonce nonce{};
    for (std::size_t i = 0; i < 8; ++i) nonce[11 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
    return nonce;
}

// OpenSSL runs both everywhere; available_ciphers() is what runs fast here.
bool cipher_known(Cipher cipher) noexcept {
    return cipher == Cipher::chacha20poly1305 || cipher == Cipher::aes256gcm;
}

// OpenSSL's AES-GCM and ChaCha20-Poly1305 are about twice as fast as
// libsodium's here; the records are the same (the spec test recomputes them
// with libsodium). Fetched once: given EVP_aes_256_gcm(), OpenSSL 3 looks the
// implementation up by name on every record.
const EVP_CIPHER* evp_cipher(Cipher cipher) noexcept {
    static const EVP_CIPHER* const aes = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    static const EVP_CIPHER* const chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
    return cipher == Cipher::aes256gcm ? aes : chacha;
}

// One context per thread, reset (and so wiped) after every record.
EVP_CIPHER_CTX* cipher_context() noexcept {
    struct Holder {
        EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
        ~Holder() { EVP_CIPHER_CTX_free(ctx); }
    };
    thread_local Holder holder;
    return holder.ctx;
}

bool encrypt(Cipher cipher, const E2eSecret& key, std::uint64_t counter, std::span<const std::uint8_t> plain,
             const std::uint8_t* ad, std::uint8_t* out) noexcept {
    EVP_CIPHER_CTX* ctx = cipher_context();
    if (!ctx) return false;
    const Nonce nonce = make_nonce(counter);
    int ad_len = 0, n = 0, tail = 0;
    const bool ok = EVP_EncryptInit_ex(ctx, evp_cipher(cipher), nullptr, key.data(), nonce.data()) == 1 &&
                    EVP_EncryptUpdate(ctx, nullptr, &ad_len, ad, static_cast<int>(kHeader)) == 1 &&
                    (plain.empty() ||
                     EVP_EncryptUpdate(ctx, out, &n, plain.data(), static_cast<int>(plain.size())) == 1) &&
                    static_cast<std::size_t>(n) == plain.size() && EVP_EncryptFinal_ex(ctx, out + n, &tail) == 1 &&
                    tail == 0 && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTag, out + plain.size()) == 1;
    EVP_CIPHER_CTX_reset(ctx);
    return ok;
}

bool decrypt(Cipher cipher, const E2eSecret& key, std::uint64_t counter, std::span<const std::uint8_t> record,
             std::uint8_t* out) noexcept {
    EVP_CIPHER_CTX* ctx = cipher_context();
    if (!ctx) return false;
    const Nonce nonce = make_nonce(counter);
    const std::uint8_t* ad = record.data();
    const std::uint8_t* body = record.data() + kHeader;
    const std::size_t text_len = record.size() - kHeader - kTag;
    std::array<std::uint8_t, kTag> tag;
    std::copy_n(body + text_len, kTag, tag.begin());
    int ad_len = 0, n = 0, tail = 0;
    const bool ok = EVP_DecryptInit_ex(ctx, evp_cipher(cipher), nullptr, key.data(), nonce.data()) == 1 &&
                    EVP_DecryptUpdate(ctx, nullptr, &ad_len, ad, static_cast<int>(kHeader)) == 1 &&
                    (text_len == 0 || EVP_DecryptUpdate(ctx, out, &n, body, static_cast<int>(text_len)) == 1) &&
                    static_cast<std::size_t>(n) == text_len &&
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTag, tag.data()) == 1 &&
                    EVP_DecryptFinal_ex(ctx, out + n, &tail) == 1 && tail == 0;
    EVP_CIPHER_CTX_reset(ctx);
    return ok;
}

constexpr std::string_view kRatchetLabel = "burrow record key";

// The key for record `counter`: the one in use, replaced first when `counter`
// starts a new key's share (both ends do this at the same record).
void step_key(E2eSecret& key, std::uint64_t counter, std::uint64_t per_key) noexcept {
    if (counter == 0 || counter % per_key != 0) return;
    std::array<std::uint8_t, E2eSecret::kSize> next{};
    crypto_generichash(next.data(), next.size(), reinterpret_cast<const std::uint8_t*>(kRatchetLabel.data()),
                       kRatchetLabel.size(), key.data(), E2eSecret::kSize);
    key = E2eSecret(next);
    sodium_memzero(next.data(), next.size());
}

// Length of the ciphertext announced by a record header, or the error it is.
std::error_code read_length(const std::uint8_t* header, std::size_t& length) noexcept {
    length = (std::size_t{header[0]} << 8) | header[1];
    if (length > RecordOpener::kMaxCipher) return E2eErrc::record_too_large;
    if (length < RecordOpener::kMinCipher) return E2eErrc::malformed;
    return {};
}

}  // namespace

std::uint64_t records_per_key() noexcept {
    static const std::uint64_t value = [] {
        const char* text = std::getenv("BURROW_TEST_RECORDS_PER_KEY");
        if (!text || !*text) return kRecordsPerKey;
        char* end = nullptr;
        const unsigned long long n = std::strtoull(text, &end, 10);
        return *end == '\0' && n >= 1 && n <= kRecordsPerKey ? static_cast<std::uint64_t>(n) : kRecordsPerKey;
    }();
    return value;
}

std::uint8_t available_ciphers() noexcept {
    static const std::uint8_t bits = [] {
        if (sodium_init() < 0) return std::uint8_t{0};
        std::uint8_t b = static_cast<std::uint8_t>(Cipher::chacha20poly1305);
        if (crypto_aead_aes256gcm_is_available()) b |= static_cast<std::uint8_t>(Cipher::aes256gcm);
        return b;
    }();
    return bits;
}

RecordSealer::RecordSealer(Cipher cipher, E2eSecret key) noexcept
    : key_(std::move(key)), cipher_(cipher), live_(cipher_known(cipher)) {}

RecordSealer::RecordSealer(RecordSealer&& other) noexcept
    : key_(std::move(other.key_)),
      counter_(other.counter_),
      per_key_(other.per_key_),
      cipher_(other.cipher_),
      live_(other.live_) {
    other.live_ = false;
}

RecordSealer& RecordSealer::operator=(RecordSealer&& other) noexcept {
    if (this != &other) {
        key_ = std::move(other.key_);
        counter_ = other.counter_;
        per_key_ = other.per_key_;
        cipher_ = other.cipher_;
        live_ = std::exchange(other.live_, false);
    }
    return *this;
}

std::size_t RecordSealer::sealed_size(std::size_t plain_len) noexcept {
    const std::size_t pieces = (plain_len + kMaxPlain - 1) / kMaxPlain;
    return plain_len + pieces * kOverhead;
}

std::error_code RecordSealer::seal(std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& out) {
    if (!live_) return E2eErrc::closed;
    const std::size_t start = out.size();
    out.resize(start + sealed_size(plain.size()));
    const auto ec = seal(plain, std::span<std::uint8_t>(out).subspan(start));
    if (ec) out.resize(start);
    return ec;
}

std::error_code RecordSealer::seal(std::span<const std::uint8_t> plain, std::span<std::uint8_t> out) {
    if (!live_) return E2eErrc::closed;
    const std::size_t pieces = (plain.size() + kMaxPlain - 1) / kMaxPlain;
    if (pieces > kMaxRecords - counter_) {
        live_ = false;
        key_.wipe();
        return E2eErrc::record_limit;
    }
    if (out.size() != sealed_size(plain.size())) {
        live_ = false;
        key_.wipe();
        return E2eErrc::closed;
    }
    std::uint8_t* at = out.data();
    for (std::size_t offset = 0; offset < plain.size(); offset += kMaxPlain) {
        const auto piece = plain.subspan(offset, std::min(kMaxPlain, plain.size() - offset));
        const std::size_t length = piece.size() + kTag;
        at[0] = static_cast<std::uint8_t>(length >> 8);
        at[1] = static_cast<std::uint8_t>(length);
        step_key(key_, counter_, per_key_);
        if (!encrypt(cipher_, key_, counter_, piece, at, at + kHeader)) {
            live_ = false;
            key_.wipe();
            return E2eErrc::closed;
        }
        ++counter_;
        at += kHeader + length;
    }
    return {};
}

std::error_code RecordSealer::seal_close(std::vector<std::uint8_t>& out) {
    if (!live_) return E2eErrc::closed;
    if (counter_ == kMaxRecords) {
        live_ = false;
        key_.wipe();
        return E2eErrc::record_limit;
    }
    const std::size_t start = out.size();
    out.resize(start + kHeader + kTag);
    std::uint8_t* at = out.data() + start;
    at[0] = 0;
    at[1] = static_cast<std::uint8_t>(kTag);
    step_key(key_, counter_, per_key_);
    const bool ok = encrypt(cipher_, key_, counter_, {}, at, at + kHeader);
    live_ = false;  // nothing may follow the end of the stream
    key_.wipe();
    if (!ok) {
        out.resize(start);
        return E2eErrc::closed;
    }
    return {};
}

RecordOpener::RecordOpener(Cipher cipher, E2eSecret key) noexcept
    : key_(std::move(key)), cipher_(cipher), live_(cipher_known(cipher)) {}

RecordOpener::RecordOpener(RecordOpener&& other) noexcept
    : key_(std::move(other.key_)),
      partial_(std::move(other.partial_)),
      counter_(other.counter_),
      per_key_(other.per_key_),
      cipher_(other.cipher_),
      live_(other.live_),
      peer_closed_(other.peer_closed_) {
    other.live_ = false;
    other.partial_.clear();
}

RecordOpener& RecordOpener::operator=(RecordOpener&& other) noexcept {
    if (this != &other) {
        key_ = std::move(other.key_);
        partial_ = std::move(other.partial_);
        other.partial_.clear();
        counter_ = other.counter_;
        per_key_ = other.per_key_;
        cipher_ = other.cipher_;
        live_ = std::exchange(other.live_, false);
        peer_closed_ = other.peer_closed_;
    }
    return *this;
}

std::error_code RecordOpener::fail(E2eErrc why) noexcept {
    live_ = false;
    key_.wipe();
    partial_.clear();
    return why;
}

std::error_code RecordOpener::open(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& plain) {
    const std::size_t start = plain.size();
    plain.resize(start + partial_.size() + in.size());  // no plaintext of them is longer
    std::size_t written = 0;
    const auto ec = open(in, std::span<std::uint8_t>(plain).subspan(start), written);
    plain.resize(start + written);
    return ec;
}

std::error_code RecordOpener::open(std::span<const std::uint8_t> in, std::span<std::uint8_t> out,
                                   std::size_t& written) {
    written = 0;
    if (!live_) return E2eErrc::closed;
    if (out.size() < partial_.size() + in.size()) return fail(E2eErrc::malformed);
    std::size_t length = 0;
    while (!in.empty()) {
        if (peer_closed_) return fail(E2eErrc::malformed);  // bytes after the end of the stream
        if (partial_.empty() && in.size() >= kHeader) {
            if (auto ec = read_length(in.data(), length)) return fail(static_cast<E2eErrc>(ec.value()));
            if (in.size() >= kHeader + length) {
                if (auto ec = open_one(in.first(kHeader + length), out.data() + written)) return ec;
                written += length - kTag;
                in = in.subspan(kHeader + length);
                continue;
            }
        }
        if (partial_.size() < kHeader) {
            const std::size_t take = std::min(kHeader - partial_.size(), in.size());
            partial_.insert(partial_.end(), in.begin(), in.begin() + take);
            in = in.subspan(take);
            if (partial_.size() < kHeader) break;
        }
        if (auto ec = read_length(partial_.data(), length)) return fail(static_cast<E2eErrc>(ec.value()));
        partial_.reserve(kHeader + length);
        const std::size_t take = std::min(kHeader + length - partial_.size(), in.size());
        partial_.insert(partial_.end(), in.begin(), in.begin() + take);
        in = in.subspan(take);
        if (partial_.size() == kHeader + length) {
            if (auto ec = open_one(partial_, out.data() + written)) return ec;
            written += partial_.size() - kHeader - kTag;
            std::vector<std::uint8_t>().swap(partial_);  // an idle stream keeps no buffer
        }
    }
    return {};
}

std::size_t RecordOpener::record_part(std::span<const std::uint8_t> in) const noexcept {
    const std::size_t held = partial_.size();
    if (held + in.size() < kHeader) return in.size();
    const std::uint8_t first = held > 0 ? partial_[0] : in[0];
    const std::uint8_t second = held > 1 ? partial_[1] : in[1 - held];
    const std::size_t length = static_cast<std::size_t>(first) << 8 | second;
    return std::min(in.size(), kHeader + length - held);
}

std::error_code RecordOpener::open_one(std::span<const std::uint8_t> record, std::uint8_t* at) {
    if (counter_ == RecordSealer::kMaxRecords) return fail(E2eErrc::record_limit);
    const std::size_t n = record.size() - kHeader - kTag;
    step_key(key_, counter_, per_key_);
    if (!decrypt(cipher_, key_, counter_, record, at)) {
        sodium_memzero(at, n);
        return fail(E2eErrc::auth_failed);
    }
    ++counter_;
    if (record.size() == kHeader + kTag) peer_closed_ = true;
    return {};
}

}  // namespace burrow::crypto
