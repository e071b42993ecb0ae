#include "crypto/record.hpp"

#include <algorithm>
#include <array>
#include <utility>

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

bool cipher_runs(Cipher cipher) noexcept {
    return (available_ciphers() & static_cast<std::uint8_t>(cipher)) != 0;
}

bool encrypt(Cipher cipher, const E2eSecret& key, std::uint64_t counter, std::span<const std::uint8_t> plain,
             const std::uint8_t* ad, std::uint8_t* out) noexcept {
    const Nonce nonce = make_nonce(counter);
    unsigned long long written = 0;
    const int rc = cipher == Cipher::aes256gcm
                       ? crypto_aead_aes256gcm_encrypt(out, &written, plain.data(), plain.size(), ad, kHeader,
                                                       nullptr, nonce.data(), key.data())
                       : crypto_aead_chacha20poly1305_ietf_encrypt(out, &written, plain.data(), plain.size(), ad,
                                                                   kHeader, nullptr, nonce.data(), key.data());
    return rc == 0 && written == plain.size() + kTag;
}

bool decrypt(Cipher cipher, const E2eSecret& key, std::uint64_t counter, std::span<const std::uint8_t> record,
             std::uint8_t* out) noexcept {
    const Nonce nonce = make_nonce(counter);
    const std::uint8_t* ad = record.data();
    const std::uint8_t* body = record.data() + kHeader;
    const std::size_t body_len = record.size() - kHeader;
    unsigned long long written = 0;
    const int rc = cipher == Cipher::aes256gcm
                       ? crypto_aead_aes256gcm_decrypt(out, &written, nullptr, body, body_len, ad, kHeader,
                                                       nonce.data(), key.data())
                       : crypto_aead_chacha20poly1305_ietf_decrypt(out, &written, nullptr, body, body_len, ad,
                                                                   kHeader, nonce.data(), key.data());
    return rc == 0 && written == body_len - kTag;
}

// Length of the ciphertext announced by a record header, or the error it is.
std::error_code read_length(const std::uint8_t* header, std::size_t& length) noexcept {
    length = (std::size_t{header[0]} << 8) | header[1];
    if (length > RecordOpener::kMaxCipher) return E2eErrc::record_too_large;
    if (length < RecordOpener::kMinCipher) return E2eErrc::malformed;
    return {};
}

}  // namespace

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
    : key_(std::move(key)), cipher_(cipher), live_(cipher_runs(cipher)) {}

RecordSealer::RecordSealer(RecordSealer&& other) noexcept
    : key_(std::move(other.key_)), counter_(other.counter_), cipher_(other.cipher_), live_(other.live_) {
    other.live_ = false;
}

RecordSealer& RecordSealer::operator=(RecordSealer&& other) noexcept {
    if (this != &other) {
        key_ = std::move(other.key_);
        counter_ = other.counter_;
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
    const std::size_t pieces = (plain.size() + kMaxPlain - 1) / kMaxPlain;
    if (pieces > kMaxRecords - counter_) {
        live_ = false;
        key_.wipe();
        return E2eErrc::record_limit;
    }
    const std::size_t start = out.size();
    out.resize(start + sealed_size(plain.size()));
    std::uint8_t* at = out.data() + start;
    for (std::size_t offset = 0; offset < plain.size(); offset += kMaxPlain) {
        const auto piece = plain.subspan(offset, std::min(kMaxPlain, plain.size() - offset));
        const std::size_t length = piece.size() + kTag;
        at[0] = static_cast<std::uint8_t>(length >> 8);
        at[1] = static_cast<std::uint8_t>(length);
        if (!encrypt(cipher_, key_, counter_, piece, at, at + kHeader)) {
            out.resize(start);
            live_ = false;
            key_.wipe();
            return E2eErrc::closed;
        }
        ++counter_;
        at += kHeader + length;
    }
    return {};
}

RecordOpener::RecordOpener(Cipher cipher, E2eSecret key) noexcept
    : key_(std::move(key)), cipher_(cipher), live_(cipher_runs(cipher)) {}

RecordOpener::RecordOpener(RecordOpener&& other) noexcept
    : key_(std::move(other.key_)),
      partial_(std::move(other.partial_)),
      counter_(other.counter_),
      cipher_(other.cipher_),
      live_(other.live_) {
    other.live_ = false;
    other.partial_.clear();
}

RecordOpener& RecordOpener::operator=(RecordOpener&& other) noexcept {
    if (this != &other) {
        key_ = std::move(other.key_);
        partial_ = std::move(other.partial_);
        other.partial_.clear();
        counter_ = other.counter_;
        cipher_ = other.cipher_;
        live_ = std::exchange(other.live_, false);
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
    if (!live_) return E2eErrc::closed;
    std::size_t length = 0;
    while (!in.empty()) {
        if (partial_.empty() && in.size() >= kHeader) {
            if (auto ec = read_length(in.data(), length)) return fail(static_cast<E2eErrc>(ec.value()));
            if (in.size() >= kHeader + length) {
                if (auto ec = open_one(in.first(kHeader + length), plain)) return ec;
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
        const std::size_t take = std::min(kHeader + length - partial_.size(), in.size());
        partial_.insert(partial_.end(), in.begin(), in.begin() + take);
        in = in.subspan(take);
        if (partial_.size() == kHeader + length) {
            if (auto ec = open_one(partial_, plain)) return ec;
            partial_.clear();
        }
    }
    return {};
}

std::error_code RecordOpener::open_one(std::span<const std::uint8_t> record, std::vector<std::uint8_t>& plain) {
    if (counter_ == RecordSealer::kMaxRecords) return fail(E2eErrc::record_limit);
    const std::size_t start = plain.size();
    plain.resize(start + record.size() - kHeader - kTag);
    if (!decrypt(cipher_, key_, counter_, record, plain.data() + start)) {
        sodium_memzero(plain.data() + start, plain.size() - start);
        plain.resize(start);
        return fail(E2eErrc::auth_failed);
    }
    ++counter_;
    return {};
}

}  // namespace burrow::crypto
