#pragma once
// E2eSecret: 32 secret bytes (a DH secret, a derived key) that are wiped
// with sodium_memzero when destroyed, reassigned or moved from. Move-only, so
// a key exists in one place unless the code asks for a copy explicitly.
#include <array>
#include <cstdint>
#include <span>

#include <sodium/utils.h>

namespace burrow::crypto {

class E2eSecret {
public:
    static constexpr std::size_t kSize = 32;

    E2eSecret() noexcept = default;  // all zero
    explicit E2eSecret(std::span<const std::uint8_t, kSize> bytes) noexcept {
        for (std::size_t i = 0; i < kSize; ++i) bytes_[i] = bytes[i];
    }
    E2eSecret(E2eSecret&& other) noexcept : bytes_(other.bytes_) { other.wipe(); }
    E2eSecret& operator=(E2eSecret&& other) noexcept {
        if (this != &other) {
            bytes_ = other.bytes_;
            other.wipe();
        }
        return *this;
    }
    E2eSecret(const E2eSecret&) = delete;
    E2eSecret& operator=(const E2eSecret&) = delete;
    ~E2eSecret() { wipe(); }

    std::uint8_t* data() noexcept { return bytes_.data(); }
    const std::uint8_t* data() const noexcept { return bytes_.data(); }
    std::span<const std::uint8_t, kSize> view() const noexcept { return bytes_; }
    void wipe() noexcept { sodium_memzero(bytes_.data(), kSize); }

private:
    std::array<std::uint8_t, kSize> bytes_{};
};

}  // namespace burrow::crypto
