#include "crypto/identity.hpp"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>

#include "tests/unit/crypto/temp_dir.hpp"

namespace burrow::crypto {
namespace {

using test::file_mode;
using test::read_text;
using test::ScopedEnv;
using test::TempDir;
using test::write_file;

// RFC 8032 section 7.1, test 1.
constexpr const char* kRfcSeedText = "burrow-ed25519-private nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n";
constexpr const char* kRfcPublicText = "burrow-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

PublicKey counting_key() {
    PublicKey key;
    for (std::size_t i = 0; i < key.bytes.size(); ++i) key.bytes[i] = static_cast<std::uint8_t>(i);
    return key;
}

template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const IdentityError& e) {
        return e.what();
    }
    return "(no IdentityError)";
}

TEST(Identity, GenerateSaveLoadRoundTrip) {
    TempDir dir;
    const auto id = Identity::generate();
    id.save(dir / "id_ed25519");
    const auto loaded = Identity::load(dir / "id_ed25519");
    EXPECT_EQ(loaded.public_key(), id.public_key());
    EXPECT_TRUE(std::ranges::equal(loaded.seed(), id.seed()));
}

TEST(Identity, GeneratedKeysDiffer) {
    EXPECT_NE(Identity::generate().public_key(), Identity::generate().public_key());
}

TEST(Identity, SaveWritesModesAndPrivateParentDirs) {
    TempDir dir;
    const std::string path = dir / "a/b/id_ed25519";
    Identity::generate().save(path);
    EXPECT_EQ(file_mode(path), 0600u);
    EXPECT_EQ(file_mode(path + ".pub"), 0644u);
    EXPECT_EQ(file_mode(dir / "a"), 0700u);
    EXPECT_EQ(file_mode(dir / "a/b"), 0700u);
}

TEST(Identity, PubFileParsesToSameKey) {
    TempDir dir;
    const auto id = Identity::generate();
    id.save(dir / "id", "alice@laptop");
    const std::string pub = read_text(dir / "id.pub");
    EXPECT_EQ(pub, id.public_key().to_text() + " alice@laptop\n");
    EXPECT_EQ(PublicKey::parse(pub), id.public_key());
}

TEST(Identity, PubFileWithoutCommentHasNoTrailingSpace) {
    TempDir dir;
    const auto id = Identity::generate();
    id.save(dir / "id");
    EXPECT_EQ(read_text(dir / "id.pub"), id.public_key().to_text() + "\n");
}

TEST(Identity, SaveRefusesToOverwrite) {
    TempDir dir;
    const auto first = Identity::generate();
    first.save(dir / "id");
    const std::string before = read_text(dir / "id");
    EXPECT_THROW(Identity::generate().save(dir / "id"), IdentityError);
    EXPECT_EQ(read_text(dir / "id"), before);
    EXPECT_EQ(Identity::load(dir / "id").public_key(), first.public_key());
}

TEST(Identity, SaveRejectsMultilineComment) {
    TempDir dir;
    EXPECT_THROW(Identity::generate().save(dir / "id", "a\nb"), IdentityError);
    EXPECT_EQ(file_mode(dir / "id"), 0u);
}

TEST(Identity, LoadMissingSaysRunKeygen) {
    TempDir dir;
    const std::string path = dir / "id";
    EXPECT_EQ(error_of([&] { Identity::load(path); }), "no key at " + path + ": run 'burrow keygen'");
}

TEST(Identity, LoadRefusesGroupOrOtherBits) {
    TempDir dir;
    const std::string path = dir / "id";
    write_file(path, kRfcSeedText, 0644);
    EXPECT_EQ(error_of([&] { Identity::load(path); }),
              "permissions 0644 for '" + path + "' are too open: chmod 600 it");
    ::chmod(path.c_str(), 0640);
    EXPECT_EQ(error_of([&] { Identity::load(path); }),
              "permissions 0640 for '" + path + "' are too open: chmod 600 it");
}

TEST(Identity, LoadAcceptsOwnerOnlyModes) {
    TempDir dir;
    const std::string path = dir / "id";
    write_file(path, kRfcSeedText, 0600);
    EXPECT_NO_THROW(Identity::load(path));
    ::chmod(path.c_str(), 0400);
    EXPECT_NO_THROW(Identity::load(path));
}

TEST(Identity, LoadDerivesRfc8032PublicKey) {
    TempDir dir;
    write_file(dir / "id", kRfcSeedText);
    EXPECT_EQ(Identity::load(dir / "id").public_key(), PublicKey::parse(kRfcPublicText));
}

TEST(Identity, LoadAcceptsMissingFinalNewline) {
    TempDir dir;
    std::string text = kRfcSeedText;
    text.pop_back();
    write_file(dir / "id", text);
    EXPECT_EQ(Identity::load(dir / "id").public_key(), PublicKey::parse(kRfcPublicText));
}

TEST(Identity, LoadRejectsMalformedFiles) {
    const std::string seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
    const std::string bad[] = {
        "",
        "\n",
        "burrow-ed25519 " + seed + "\n",                   // a public key line
        "ssh-ed25519 " + seed + "\n",                      // wrong prefix
        "burrow-ed25519-private  " + seed + "\n",          // two spaces
        "burrow-ed25519-private " + seed.substr(0, 43) + "\n",       // padding missing
        "burrow-ed25519-private nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2!=\n",  // bad base64
        "burrow-ed25519-private AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",  // 31 bytes
        "burrow-ed25519-private AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n",  // 33 bytes
        "burrow-ed25519-private " + seed + " comment\n",   // trailing garbage
        "burrow-ed25519-private " + seed + "\n\n",         // second line
        "burrow-ed25519-private " + seed + "\r\n",
        std::string(5000, 'A'),
    };
    for (const auto& text : bad) {
        TempDir dir;
        const std::string path = dir / "id";
        write_file(path, text);
        const std::string message = error_of([&] { Identity::load(path); });
        EXPECT_NE(message.find(path), std::string::npos) << "for " << text << ": " << message;
    }
}

TEST(Identity, LoadRejectsDirectory) {
    TempDir dir;
    ::mkdir((dir / "id").c_str(), 0700);
    EXPECT_THROW(Identity::load(dir / "id"), IdentityError);
}

TEST(Identity, CopyAndMoveKeepTheKey) {
    const auto original = Identity::generate();
    Identity copy = original;
    EXPECT_EQ(copy.public_key(), original.public_key());
    EXPECT_TRUE(std::ranges::equal(copy.seed(), original.seed()));
    Identity moved = std::move(copy);
    EXPECT_EQ(moved.public_key(), original.public_key());
    EXPECT_TRUE(std::ranges::equal(moved.seed(), original.seed()));
    EXPECT_TRUE(std::ranges::all_of(copy.seed(), [](std::uint8_t b) { return b == 0; }));  // NOLINT(bugprone-use-after-move)
}

TEST(PublicKey, TextForm) {
    EXPECT_EQ(counting_key().to_text(), "burrow-ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    EXPECT_EQ(PublicKey::parse(counting_key().to_text()), counting_key());
}

TEST(PublicKey, ParseAcceptsCommentAndWhitespace) {
    const std::string text = counting_key().to_text();
    for (const std::string& variant : std::initializer_list<std::string>{text + " alice@laptop", text + " two words  here", "  \t" + text + " \n",
                                text + "\r\n", text + "\tc", "burrow-ed25519 \t AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="})
        EXPECT_EQ(PublicKey::parse(variant), counting_key()) << variant;
}

TEST(PublicKey, ParseRejectsOtherText) {
    const char* bad[] = {
        "",
        "burrow-ed25519",
        "burrow-ed25519 ",
        "burrow-ed25519AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "ssh-ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "burrow-ed25519-private AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "burrow-ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",    // 31 bytes
        "burrow-ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g",    // 33 bytes
        "burrow-ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",     // padding missing
        "burrow-ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=",    // non-canonical last bits
        "burrow-ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd*h8=",    // bad character
        "burrow-ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=x",
        "burrow-ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= a\nb",
        "burrow-ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\nburrow-ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    };
    for (const char* text : bad) EXPECT_EQ(PublicKey::parse(text), std::nullopt) << text;
}

TEST(PublicKey, FingerprintOfKnownKey) {
    // printf AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= | base64 -d | sha256sum
    //   = 630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd
    EXPECT_EQ(counting_key().fingerprint(), "SHA256:Yw3NKWbEM2aRElRIu7JbT/QSpJxzLbLIq8G4WBvXEN0");
}

TEST(PublicKey, FingerprintIsStableAndDistinct) {
    const auto a = Identity::generate().public_key();
    const auto b = Identity::generate().public_key();
    EXPECT_TRUE(a.fingerprint().starts_with("SHA256:"));
    EXPECT_EQ(a.fingerprint().size(), 7u + 43u);
    EXPECT_EQ(a.fingerprint(), a.fingerprint());
    EXPECT_EQ(a.fingerprint(), PublicKey::parse(a.to_text())->fingerprint());
    EXPECT_NE(a.fingerprint(), b.fingerprint());
}

TEST(X25519, BothSidesAgree) {
    const auto a = Identity::generate();
    const auto b = Identity::generate();
    const auto a_pub = x25519_public(a.public_key());
    const auto b_pub = x25519_public(b.public_key());
    ASSERT_TRUE(a_pub && b_pub);
    std::array<std::uint8_t, 32> ab{}, ba{};
    ASSERT_EQ(crypto_scalarmult(ab.data(), a.x25519_secret().data(), b_pub->data()), 0);
    ASSERT_EQ(crypto_scalarmult(ba.data(), b.x25519_secret().data(), a_pub->data()), 0);
    EXPECT_EQ(ab, ba);
}

TEST(X25519, PublicMatchesSecret) {
    const auto a = Identity::generate();
    std::array<std::uint8_t, 32> derived{};
    crypto_scalarmult_base(derived.data(), a.x25519_secret().data());
    EXPECT_EQ(x25519_public(a.public_key()), derived);
}

TEST(X25519, RejectsInvalidKey) {
    EXPECT_EQ(x25519_public(PublicKey{}), std::nullopt);  // all zero: a small-order point
}

TEST(ConfigDir, Precedence) {
    ScopedEnv burrow("BURROW_HOME", "/b");
    ScopedEnv xdg("XDG_CONFIG_HOME", "/x");
    ScopedEnv home("HOME", "/h");
    EXPECT_EQ(config_dir(), "/b");
    EXPECT_EQ(default_identity_path(), "/b/id_ed25519");
    {
        ScopedEnv unset("BURROW_HOME", std::nullopt);
        EXPECT_EQ(config_dir(), "/x/burrow");
        {
            ScopedEnv unset_xdg("XDG_CONFIG_HOME", std::nullopt);
            EXPECT_EQ(config_dir(), "/h/.config/burrow");
            ScopedEnv unset_home("HOME", std::nullopt);
            EXPECT_THROW(config_dir(), IdentityError);
        }
        ScopedEnv relative("XDG_CONFIG_HOME", "relative");
        EXPECT_EQ(config_dir(), "/h/.config/burrow");
    }
    ScopedEnv empty("BURROW_HOME", "");
    EXPECT_EQ(config_dir(), "/x/burrow");
}

}  // namespace
}  // namespace burrow::crypto
