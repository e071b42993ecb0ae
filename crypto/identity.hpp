#pragma once
// Ed25519 identities (libsodium): key pairs, their files and text forms, and the
// X25519 forms used by the end-to-end handshake.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace burrow::crypto {

// An Ed25519 public key and its text forms.
struct PublicKey {
    std::array<std::uint8_t, 32> bytes{};
    auto operator<=>(const PublicKey&) const = default;

    // "burrow-ed25519 <base64 of the 32 bytes, standard alphabet with padding>": one line, pasteable into configs.
    std::string to_text() const;
    // Short fingerprint like ssh's: "SHA256:" + unpadded base64 of the SHA-256 of the 32 bytes.
    std::string fingerprint() const;
    // Accepts to_text() output, optionally followed by whitespace and a comment, with surrounding
    // whitespace. Checks the text form only (prefix, canonical base64, 32 bytes), not that the
    // bytes are a valid curve point. nullopt on anything else, including a line break inside.
    static std::optional<PublicKey> parse(std::string_view text);
};

// A key file or known-peers file that is missing, unreadable, too open or malformed; the message
// is one line naming the file.
struct IdentityError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// An Ed25519 key pair. The private half never leaves this object except through seed() and
// x25519_secret(); it is zeroed on destruction and when moved from. Copyable and movable.
class Identity {
public:
    static Identity generate();
    // Loads a private key file, a single line "burrow-ed25519-private <base64 of the 32-byte seed>".
    // Throws IdentityError naming the file if it is missing ("no key at PATH: run 'burrow keygen'"),
    // unreadable, has group or other permission bits set ("permissions 0644 for 'PATH' are too open:
    // chmod 600 it"), or is malformed.
    static Identity load(const std::string& path);
    // Writes PATH (mode 0600, never overwriting; missing parent dirs created 0700) and PATH.pub
    // (0644, to_text() then " comment" if the comment is non-empty, then "\n"; replaced if present).
    // Throws IdentityError if PATH exists, the comment has a line break, or a write fails; on
    // failure neither file is left behind.
    void save(const std::string& path, std::string_view comment = "") const;

    const PublicKey& public_key() const noexcept;
    // The Ed25519 seed, e.g. for OpenSSL's raw private key. Valid while this object lives.
    std::span<const std::uint8_t, 32> seed() const noexcept;
    // The X25519 secret for this key (crypto_sign_ed25519_sk_to_curve25519). The caller should zero it.
    std::array<std::uint8_t, 32> x25519_secret() const;

    Identity(const Identity& other) = default;
    Identity& operator=(const Identity& other) = default;
    Identity(Identity&& other) noexcept;
    Identity& operator=(Identity&& other) noexcept;
    ~Identity();

private:
    explicit Identity(std::span<const std::uint8_t, 32> seed);

    std::array<std::uint8_t, 64> secret_{};  // libsodium's secret key: seed then public key
    PublicKey public_;
};

// The X25519 form of a peer's Ed25519 public key (crypto_sign_ed25519_pk_to_curve25519);
// nullopt if the key is not a valid point.
std::optional<std::array<std::uint8_t, 32>> x25519_public(const PublicKey& key);

// $BURROW_HOME if set, else $XDG_CONFIG_HOME/burrow, else $HOME/.config/burrow. Empty variables
// count as unset, and a relative XDG_CONFIG_HOME is ignored (XDG spec). Throws IdentityError if
// none is usable.
std::string config_dir();
// config_dir() + "/id_ed25519".
std::string default_identity_path();

}  // namespace burrow::crypto
