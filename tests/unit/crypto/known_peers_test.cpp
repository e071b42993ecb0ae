#include "crypto/known_peers.hpp"

#include <gtest/gtest.h>

#include "tests/unit/crypto/temp_dir.hpp"

namespace burrow::crypto {
namespace {

using test::file_mode;
using test::read_text;
using test::ScopedEnv;
using test::TempDir;
using test::write_file;

using Check = KnownPeers::Check;

template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const IdentityError& e) {
        return e.what();
    }
    return "(no IdentityError)";
}

TEST(KnownPeers, MissingFileIsEmpty) {
    TempDir dir;
    const KnownPeers peers(dir / "known_relays");
    const auto key = Identity::generate().public_key();
    EXPECT_EQ(peers.check("relay.example:443", key), Check::unknown);
    EXPECT_EQ(peers.find("relay.example:443"), std::nullopt);
    EXPECT_EQ(file_mode(peers.path()), 0u);
}

TEST(KnownPeers, UnknownThenAddThenMatch) {
    TempDir dir;
    const KnownPeers peers(dir / "sub/dir/known_relays");
    const auto key = Identity::generate().public_key();
    EXPECT_EQ(peers.check("relay.example:443", key), Check::unknown);
    peers.add("relay.example:443", key);
    EXPECT_EQ(peers.check("relay.example:443", key), Check::match);
    EXPECT_EQ(peers.find("relay.example:443"), key);
    EXPECT_EQ(peers.check("relay.example:444", key), Check::unknown);
    EXPECT_EQ(read_text(peers.path()), "relay.example:443 " + key.to_text() + "\n");
    EXPECT_EQ(file_mode(peers.path()), 0600u);
    EXPECT_EQ(file_mode(dir / "sub"), 0700u);
    EXPECT_EQ(file_mode(dir / "sub/dir"), 0700u);
}

TEST(KnownPeers, DifferentKeyIsMismatch) {
    TempDir dir;
    const KnownPeers peers(dir / "known_endpoints");
    const auto key = Identity::generate().public_key();
    peers.add("nas", key);
    EXPECT_EQ(peers.check("nas", Identity::generate().public_key()), Check::mismatch);
}

TEST(KnownPeers, AnyKeyForANameMatches) {
    TempDir dir;
    const KnownPeers peers(dir / "known_endpoints");
    const auto old_key = Identity::generate().public_key();
    const auto new_key = Identity::generate().public_key();
    peers.add("nas", old_key);
    peers.add("nas", new_key);
    EXPECT_EQ(peers.check("nas", old_key), Check::match);
    EXPECT_EQ(peers.check("nas", new_key), Check::match);
    EXPECT_EQ(peers.find("nas"), old_key);
}

TEST(KnownPeers, IgnoresCommentsAndBlankLines) {
    TempDir dir;
    const auto a = Identity::generate().public_key();
    const auto b = Identity::generate().public_key();
    write_file(dir / "known", "# relays I trust\n\n   \n  # indented comment\n"
                              "relay.example:443 " + a.to_text() + " added by hand\r\n"
                              "\t[::1]:7000\t" + b.to_text());
    const KnownPeers peers(dir / "known");
    EXPECT_EQ(peers.check("relay.example:443", a), Check::match);
    EXPECT_EQ(peers.check("[::1]:7000", b), Check::match);
    EXPECT_EQ(peers.check("#", a), Check::unknown);
}

TEST(KnownPeers, MalformedLineNamesFileAndLine) {
    TempDir dir;
    const auto key = Identity::generate().public_key();
    const std::string path = dir / "known";
    const KnownPeers peers(path);
    for (const std::string& bad : std::initializer_list<std::string>{"relay.example:443", "relay.example:443 garbage",
                                   key.to_text(), "relay.example:443 " + key.to_text().substr(0, 30)}) {
        write_file(path, "# header\na " + key.to_text() + "\n" + bad + "\nb " + key.to_text() + "\n");
        const std::string expected = path + ":3: not 'NAME KEY'";
        EXPECT_EQ(error_of([&] { peers.check("a", key); }), expected) << bad;
        EXPECT_EQ(error_of([&] { peers.find("a"); }), expected) << bad;
    }
}

TEST(KnownPeers, AddAfterHandEditWithoutFinalNewline) {
    TempDir dir;
    const auto a = Identity::generate().public_key();
    const auto b = Identity::generate().public_key();
    write_file(dir / "known", "a " + a.to_text());
    const KnownPeers peers(dir / "known");
    peers.add("b", b);
    EXPECT_EQ(peers.check("a", a), Check::match);
    EXPECT_EQ(peers.check("b", b), Check::match);
}

TEST(KnownPeers, AddRejectsNamesThatWouldCorruptTheFile) {
    TempDir dir;
    const KnownPeers peers(dir / "known");
    const auto key = Identity::generate().public_key();
    for (const char* bad : {"", "two words", "#comment", "tab\there", "new\nline"})
        EXPECT_THROW(peers.add(bad, key), IdentityError) << bad;
    EXPECT_EQ(file_mode(peers.path()), 0u);
}

TEST(KnownPeers, AddFailureIsIdentityError) {
    TempDir dir;
    write_file(dir / "file", "");
    const KnownPeers peers(dir / "file/known");
    EXPECT_THROW(peers.add("a", Identity::generate().public_key()), IdentityError);
}

TEST(KnownPeers, DefaultPathsAreInConfigDir) {
    ScopedEnv home("BURROW_HOME", "/cfg");
    EXPECT_EQ(default_known_relays_path(), "/cfg/known_relays");
    EXPECT_EQ(default_known_endpoints_path(), "/cfg/known_endpoints");
}

TEST(KnownPeers, ListGivesNamesKeysAndLines) {
    TempDir dir;
    const auto a = Identity::generate().public_key();
    const auto b = Identity::generate().public_key();
    write_file(dir / "known_relays", "# pins\nrelay:7443 " + a.to_text() + "\n\ngpu " + b.to_text() + " note\n");
    const auto pins = KnownPeers(dir / "known_relays").list();
    ASSERT_EQ(pins.size(), 2u);
    EXPECT_EQ(pins[0].name, "relay:7443");
    EXPECT_EQ(pins[0].key, a);
    EXPECT_EQ(pins[0].line, 2u);
    EXPECT_EQ(pins[1].name, "gpu");
    EXPECT_EQ(pins[1].line, 4u);
}

TEST(KnownPeers, RemoveDropsEveryLineOfThatNameAndKeepsTheRest) {
    TempDir dir;
    const KnownPeers peers(dir / "known_endpoints");
    const auto a = Identity::generate().public_key();
    const auto b = Identity::generate().public_key();
    write_file(peers.path(), "# keep me\ngpu " + a.to_text() + "\ngpu-2 " + b.to_text() + "\n  gpu " + b.to_text() +
                                 "\nnas " + a.to_text());
    EXPECT_EQ(peers.remove("gpu"), 2u);
    EXPECT_EQ(read_text(peers.path()), "# keep me\ngpu-2 " + b.to_text() + "\nnas " + a.to_text());
    EXPECT_EQ(file_mode(peers.path()), 0600u);
    EXPECT_EQ(peers.remove("gpu"), 0u);
    EXPECT_EQ(peers.remove(""), 0u);
    EXPECT_EQ(peers.check("gpu", a), Check::unknown);
    EXPECT_EQ(KnownPeers(dir / "missing").remove("gpu"), 0u);
}

}  // namespace
}  // namespace burrow::crypto
