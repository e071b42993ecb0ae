#include "crypto/identity.hpp"

#include <sodium.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "crypto/key_files.hpp"

namespace burrow::crypto {
namespace {

constexpr std::string_view kPublicPrefix = "burrow-ed25519";
constexpr std::string_view kPrivatePrefix = "burrow-ed25519-private ";
constexpr std::size_t kMaxKeyFileSize = 4096;
constexpr std::string_view kBlank = " \t";

void ensure_sodium() {
    static const bool ok = sodium_init() >= 0;
    if (!ok) throw IdentityError("libsodium failed to initialise");
}

// Zeroes a string holding secret material when it goes out of scope.
struct Wipe {
    std::string& text;
    ~Wipe() { sodium_memzero(text.data(), text.size()); }
};

std::string base64(std::span<const std::uint8_t> bytes, int variant) {
    const std::size_t size = sodium_base64_ENCODED_LEN(bytes.size(), variant);
    std::string out(size, '\0');
    sodium_bin2base64(out.data(), size, bytes.data(), bytes.size(), variant);
    out.resize(size - 1);
    return out;
}

// Canonical padded base64 of exactly 32 bytes, nothing else.
bool decode_32(std::string_view text, std::array<std::uint8_t, 32>& out) {
    std::size_t len = 0;
    const char* end = nullptr;
    const int rc = sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                                     sodium_base64_VARIANT_ORIGINAL);
    return rc == 0 && end == text.data() + text.size() && len == out.size();
}

std::string_view trim(std::string_view s) {
    constexpr std::string_view space = " \t\r\n";
    const auto first = s.find_first_not_of(space);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(space) - first + 1);
}

// The seed from a private key file's contents, or nullopt if they are not exactly one key line.
std::optional<std::array<std::uint8_t, 32>> parse_private(std::string_view text) {
    if (!text.starts_with(kPrivatePrefix)) return std::nullopt;
    text.remove_prefix(kPrivatePrefix.size());
    if (text.ends_with('\n')) text.remove_suffix(1);
    std::array<std::uint8_t, 32> seed{};
    if (!decode_32(text, seed)) {
        sodium_memzero(seed.data(), seed.size());
        return std::nullopt;
    }
    return seed;
}

}  // namespace

std::string PublicKey::to_text() const {
    return std::string(kPublicPrefix) + " " + base64(bytes, sodium_base64_VARIANT_ORIGINAL);
}

std::string PublicKey::fingerprint() const {
    ensure_sodium();
    std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), bytes.data(), bytes.size());
    return "SHA256:" + base64(digest, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

std::optional<PublicKey> PublicKey::parse(std::string_view text) {
    text = trim(text);
    if (text.find_first_of("\r\n") != std::string_view::npos) return std::nullopt;
    if (!text.starts_with(kPublicPrefix)) return std::nullopt;
    text.remove_prefix(kPublicPrefix.size());
    const auto start = text.find_first_not_of(kBlank);
    if (start == 0 || start == std::string_view::npos) return std::nullopt;
    text.remove_prefix(start);
    PublicKey key;
    if (!decode_32(text.substr(0, text.find_first_of(kBlank)), key.bytes)) return std::nullopt;
    return key;
}

Identity::Identity(std::span<const std::uint8_t, 32> seed) {
    ensure_sodium();
    crypto_sign_seed_keypair(public_.bytes.data(), secret_.data(), seed.data());
}

Identity::Identity(Identity&& other) noexcept : secret_(other.secret_), public_(other.public_) {
    sodium_memzero(other.secret_.data(), other.secret_.size());
}

Identity& Identity::operator=(Identity&& other) noexcept {
    if (this != &other) {
        secret_ = other.secret_;
        public_ = other.public_;
        sodium_memzero(other.secret_.data(), other.secret_.size());
    }
    return *this;
}

Identity::~Identity() { sodium_memzero(secret_.data(), secret_.size()); }

Identity Identity::generate() {
    ensure_sodium();
    std::array<std::uint8_t, 32> seed{};
    randombytes_buf(seed.data(), seed.size());
    Identity id(seed);
    sodium_memzero(seed.data(), seed.size());
    return id;
}

Identity Identity::load(const std::string& path) {
    unsigned mode = 0;
    unsigned owner = 0;
    auto text = read_file(path, kMaxKeyFileSize, &mode, &owner);
    if (!text) throw IdentityError("no key at " + path + ": run 'burrow keygen'");
    Wipe wipe{*text};
    if (owner != ::geteuid())
        throw IdentityError("bad owner on '" + path + "': it belongs to uid " + std::to_string(owner) +
                            ", not to you (uid " + std::to_string(::geteuid()) +
                            "); a private key must be yours alone (run burrow as its owner, or chown it)");
    if ((mode & 077) != 0)
        throw IdentityError("permissions " + mode_text(mode) + " for '" + path + "' are too open: chmod 600 it");
    auto seed = parse_private(*text);
    if (!seed)
        throw IdentityError("malformed key file '" + path + "': expected one line '" + std::string(kPrivatePrefix) +
                            "<base64 seed>'");
    Identity id(*seed);
    sodium_memzero(seed->data(), seed->size());
    return id;
}

void Identity::save(const std::string& path, std::string_view comment) const {
    if (comment.find_first_of("\r\n") != std::string_view::npos)
        throw IdentityError("key comment for '" + path + "' must be one line");
    // Built in place so no temporary copy of the encoded seed is freed unwiped.
    const std::size_t encoded = sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL);
    std::string text(kPrivatePrefix.size() + encoded, '\0');
    Wipe wipe{text};
    std::memcpy(text.data(), kPrivatePrefix.data(), kPrivatePrefix.size());
    sodium_bin2base64(text.data() + kPrivatePrefix.size(), encoded, secret_.data(), 32,
                      sodium_base64_VARIANT_ORIGINAL);
    text.back() = '\n';

    std::string pub = public_.to_text();
    if (!comment.empty()) pub.append(" ").append(comment);
    pub += '\n';

    create_parent_dirs(path);
    write_new_file(path, text, 0600, true);
    try {
        replace_file(path + ".pub", pub, 0644);
    } catch (...) {
        ::unlink(path.c_str());
        throw;
    }
}

const PublicKey& Identity::public_key() const noexcept { return public_; }

std::span<const std::uint8_t, 32> Identity::seed() const noexcept {
    return std::span<const std::uint8_t, 32>(secret_.data(), 32);
}

std::array<std::uint8_t, 32> Identity::x25519_secret() const {
    std::array<std::uint8_t, 32> out{};
    crypto_sign_ed25519_sk_to_curve25519(out.data(), secret_.data());
    return out;
}

std::optional<std::array<std::uint8_t, 32>> x25519_public(const PublicKey& key) {
    // The conversion costs about as much as a scalar multiplication, and a
    // process meets few distinct peers: keep the last few (they are public).
    struct Entry {
        std::array<std::uint8_t, 32> ed{};
        std::optional<std::array<std::uint8_t, 32>> x;
    };
    thread_local std::array<Entry, 16> cache;
    thread_local std::size_t next = 0;
    for (const auto& e : cache)
        if (e.x && e.ed == key.bytes) return e.x;
    ensure_sodium();
    std::array<std::uint8_t, 32> out{};
    if (crypto_sign_ed25519_pk_to_curve25519(out.data(), key.bytes.data()) != 0) return std::nullopt;
    cache[next] = Entry{key.bytes, out};
    next = (next + 1) % cache.size();
    return out;
}

std::string config_dir() {
    const auto var = [](const char* name) -> std::string_view {
        const char* value = std::getenv(name);
        return value ? value : "";
    };
    if (const auto home = var("BURROW_HOME"); !home.empty()) return std::string(home);
    if (const auto xdg = var("XDG_CONFIG_HOME"); xdg.starts_with('/')) return std::string(xdg) + "/burrow";
    if (const auto home = var("HOME"); !home.empty()) return std::string(home) + "/.config/burrow";
    throw IdentityError("cannot find the config directory: set BURROW_HOME or HOME");
}

std::string default_identity_path() { return config_dir() + "/id_ed25519"; }

}  // namespace burrow::crypto
