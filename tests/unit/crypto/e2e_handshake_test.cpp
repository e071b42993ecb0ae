#include "crypto/e2e_handshake.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>
#include <string>
#include <tuple>
#include <vector>

namespace burrow::crypto {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint8_t kChaCha = static_cast<std::uint8_t>(Cipher::chacha20poly1305);
constexpr std::uint8_t kAes = static_cast<std::uint8_t>(Cipher::aes256gcm);

bool aes_available() { return (available_ciphers() & kAes) != 0; }

// Feeds `bytes` in pieces of `chunk`; stops at the first error. `rest` gets
// what the handshake did not use.
std::error_code feed(E2eHandshake& h, const Bytes& bytes, std::size_t chunk, Bytes* rest = nullptr) {
    for (std::size_t at = 0; at < bytes.size();) {
        const std::size_t n = std::min(chunk, bytes.size() - at);
        std::size_t used = 0;
        if (auto ec = h.consume(std::span(bytes).subspan(at, n), used)) return ec;
        EXPECT_LE(used, n);
        if (used < n) {
            if (rest) rest->assign(bytes.begin() + at + used, bytes.end());
            return {};
        }
        at += n;
    }
    return {};
}

struct Peers {
    Identity client_id = Identity::generate();
    Identity endpoint_id = Identity::generate();
    E2eHandshake client(std::uint8_t ciphers = kCipherOfferAll) const {
        return E2eHandshake::client(client_id, endpoint_id.public_key(), "home/ssh", ciphers);
    }
    E2eHandshake endpoint(bool encrypt = true, std::uint8_t ciphers = kCipherOfferAll) const {
        return E2eHandshake::endpoint(endpoint_id, client_id.public_key(), "home/ssh", encrypt, ciphers);
    }
};

// Runs a whole handshake by passing bytes; both sides must succeed.
void complete(E2eHandshake& c, E2eHandshake& e, std::size_t chunk = 1 << 20) {
    ASSERT_FALSE(feed(e, c.take_output(), chunk));
    ASSERT_FALSE(feed(c, e.take_output(), chunk));
    ASSERT_TRUE(c.done());
    ASSERT_FALSE(e.done());
    ASSERT_FALSE(feed(e, c.take_output(), chunk));
    ASSERT_TRUE(e.done());
}

Bytes round_trip(RecordSealer& sealer, RecordOpener& opener, const Bytes& plain) {
    Bytes wire, out;
    EXPECT_FALSE(sealer.seal(plain, wire));
    EXPECT_FALSE(opener.open(wire, out));
    return out;
}

class HandshakeMatrix : public ::testing::TestWithParam<std::tuple<bool, std::uint8_t, std::size_t>> {};

TEST_P(HandshakeMatrix, CompletesAndCarriesRecordsBothWays) {
    const auto [encrypt, offer, chunk] = GetParam();
    if (offer == kAes && !aes_available()) GTEST_SKIP() << "no AES-NI";
    Peers peers;
    auto c = peers.client(offer);
    auto e = peers.endpoint(encrypt);
    complete(c, e, chunk);
    const Cipher expected = offer == kAes ? Cipher::aes256gcm : Cipher::chacha20poly1305;
    EXPECT_EQ(c.cipher(), expected);
    EXPECT_EQ(e.cipher(), expected);
    EXPECT_EQ(c.encrypted(), encrypt);
    EXPECT_EQ(e.encrypted(), encrypt);

    auto cs = c.sealer();
    auto co = c.opener();
    auto es = e.sealer();
    auto eo = e.opener();
    const Bytes up = {'p', 'i', 'n', 'g'};
    const Bytes down(40000, 0x5a);
    EXPECT_EQ(round_trip(cs, eo, up), up);
    EXPECT_EQ(round_trip(es, co, down), down);
    EXPECT_EQ(round_trip(cs, eo, down), down);
}

INSTANTIATE_TEST_SUITE_P(ModesCiphersSplits, HandshakeMatrix,
                         ::testing::Combine(::testing::Bool(), ::testing::Values(kChaCha, kAes),
                                            ::testing::Values(std::size_t{1}, std::size_t{7}, std::size_t{1} << 20)));

TEST(E2eHandshake, PrefersAesWhenBothOfferIt) {
    if (!aes_available()) GTEST_SKIP() << "no AES-NI";
    Peers peers;
    auto c = peers.client();
    auto e = peers.endpoint();
    complete(c, e);
    EXPECT_EQ(c.cipher(), Cipher::aes256gcm);
}

TEST(E2eHandshake, EndpointRestrictedToChaCha) {
    Peers peers;
    auto c = peers.client();
    auto e = peers.endpoint(true, kChaCha);
    complete(c, e);
    EXPECT_EQ(c.cipher(), Cipher::chacha20poly1305);
    EXPECT_EQ(e.cipher(), Cipher::chacha20poly1305);
}

TEST(E2eHandshake, NoCommonCipher) {
    if (!aes_available()) GTEST_SKIP() << "no AES-NI";
    Peers peers;
    auto c = peers.client(kChaCha);
    auto e = peers.endpoint(true, kAes);
    EXPECT_EQ(feed(e, c.take_output(), 64), E2eErrc::no_common_cipher);
    EXPECT_TRUE(e.take_output().empty());
}

TEST(E2eHandshake, ClientRecordsFollowMsg3InOneWrite) {
    Peers peers;
    auto c = peers.client();
    auto e = peers.endpoint();
    ASSERT_FALSE(feed(e, c.take_output(), 64));
    const Bytes msg2 = e.take_output();
    ASSERT_EQ(msg2.size(), E2eHandshake::kMsg2Size);

    auto server_sealer = e.sealer();  // not done yet: closed
    Bytes ignored;
    EXPECT_EQ(server_sealer.seal(Bytes{1}, ignored), E2eErrc::closed);

    Bytes wire_down;
    ASSERT_FALSE(e.done());
    ASSERT_FALSE(feed(c, msg2, 64));
    Bytes wire = c.take_output();
    ASSERT_EQ(wire.size(), E2eHandshake::kMsg3Size);
    auto cs = c.sealer();
    const std::string text = "GET / HTTP/1.1\r\n\r\n";
    ASSERT_FALSE(cs.seal({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, wire));

    std::size_t used = 0;
    ASSERT_FALSE(e.consume(wire, used));
    EXPECT_EQ(used, E2eHandshake::kMsg3Size);
    ASSERT_TRUE(e.done());
    auto eo = e.opener();
    Bytes plain;
    ASSERT_FALSE(eo.open(std::span(wire).subspan(used), plain));
    EXPECT_EQ(std::string(plain.begin(), plain.end()), text);
}

TEST(E2eHandshake, KeysDifferPerDirection) {
    Peers peers;
    auto c = peers.client();
    auto e = peers.endpoint();
    complete(c, e);
    auto cs = c.sealer();
    auto co = c.opener();
    Bytes wire, plain;
    ASSERT_FALSE(cs.seal(Bytes{1, 2, 3}, wire));
    EXPECT_EQ(co.open(wire, plain), E2eErrc::auth_failed);  // reflected back to its sender
}

TEST(E2eHandshake, KeysDifferPerSession) {
    Peers peers;
    auto c1 = peers.client();
    auto e1 = peers.endpoint();
    complete(c1, e1);
    auto c2 = peers.client();
    auto e2 = peers.endpoint();
    complete(c2, e2);
    auto s1 = c1.sealer();
    auto o2 = e2.opener();
    Bytes wire, plain;
    ASSERT_FALSE(s1.seal(Bytes{1, 2, 3}, wire));
    EXPECT_EQ(o2.open(wire, plain), E2eErrc::auth_failed);
}

TEST(E2eHandshake, SealerAndOpenerAreHandedOutOnce) {
    Peers peers;
    auto c = peers.client();
    auto e = peers.endpoint();
    complete(c, e);
    auto first = c.sealer();
    auto second = c.sealer();
    auto opener_first = e.opener();
    auto opener_second = e.opener();
    Bytes wire, plain;
    EXPECT_EQ(second.seal(Bytes{1}, wire), E2eErrc::closed);
    EXPECT_EQ(opener_second.open(Bytes{0, 17}, plain), E2eErrc::closed);
    EXPECT_FALSE(first.seal(Bytes{1}, wire));
    EXPECT_FALSE(opener_first.open(wire, plain));
    EXPECT_EQ(plain, Bytes{1});
}

TEST(E2eHandshake, WrongPinnedEndpointKey) {
    Peers peers;
    const Identity impostor = Identity::generate();
    auto c = E2eHandshake::client(peers.client_id, impostor.public_key(), "home/ssh");
    auto e = peers.endpoint();
    ASSERT_FALSE(feed(e, c.take_output(), 64));
    EXPECT_EQ(feed(c, e.take_output(), 64), E2eErrc::auth_failed);
    EXPECT_FALSE(c.done());
    EXPECT_TRUE(c.take_output().empty());  // no msg3
    std::size_t used = 0;
    EXPECT_EQ(c.consume(Bytes{1}, used), E2eErrc::auth_failed);  // stays failed
}

TEST(E2eHandshake, EndpointGivenWrongClientKey) {
    Peers peers;
    const Identity other = Identity::generate();
    auto c = peers.client();
    auto e = E2eHandshake::endpoint(peers.endpoint_id, other.public_key(), "home/ssh", true);
    ASSERT_FALSE(feed(e, c.take_output(), 64));
    EXPECT_EQ(feed(c, e.take_output(), 64), E2eErrc::auth_failed);
    EXPECT_EQ(feed(e, Bytes(32, 0), 64), E2eErrc::auth_failed);  // whatever msg3 comes
    EXPECT_FALSE(e.done());
}

TEST(E2eHandshake, EndpointRejectsReplayedMsg3) {
    Peers peers;
    auto c1 = peers.client();
    auto e1 = peers.endpoint();
    ASSERT_FALSE(feed(e1, c1.take_output(), 64));
    ASSERT_FALSE(feed(c1, e1.take_output(), 64));
    const Bytes msg3 = c1.take_output();

    auto e2 = peers.endpoint();
    auto c2 = peers.client();
    ASSERT_FALSE(feed(e2, c2.take_output(), 64));
    EXPECT_EQ(feed(e2, msg3, 64), E2eErrc::auth_failed);
    EXPECT_FALSE(e2.done());
}

TEST(E2eHandshake, TargetIsBound) {
    Peers peers;
    auto c = E2eHandshake::client(peers.client_id, peers.endpoint_id.public_key(), "home/ssh");
    auto e = E2eHandshake::endpoint(peers.endpoint_id, peers.client_id.public_key(), "home/web", true);
    ASSERT_FALSE(feed(e, c.take_output(), 64));
    EXPECT_EQ(feed(c, e.take_output(), 64), E2eErrc::auth_failed);
}

TEST(E2eHandshake, TruncatedMessagesWait) {
    Peers peers;
    auto c = peers.client();
    auto e = peers.endpoint();
    for (const bool to_endpoint : {true, false, true}) {
        E2eHandshake& from = to_endpoint ? c : e;
        E2eHandshake& to = to_endpoint ? e : c;
        const Bytes msg = from.take_output();
        std::size_t used = 0;
        ASSERT_FALSE(to.consume(std::span(msg).first(msg.size() - 1), used));
        EXPECT_EQ(used, msg.size() - 1);
        EXPECT_FALSE(to.done());
        EXPECT_TRUE(to.take_output().empty());
        ASSERT_FALSE(to.consume(std::span(msg).last(1), used));
        EXPECT_EQ(used, 1u);
    }
    EXPECT_TRUE(c.done());
    EXPECT_TRUE(e.done());
}

}  // namespace
}  // namespace burrow::crypto
