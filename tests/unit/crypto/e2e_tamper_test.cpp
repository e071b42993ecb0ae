// Hostile bytes in the handshake: every single-bit change of msg1, msg2 and
// msg3, wrong magic or version, invalid and low-order keys.
#include "crypto/e2e_handshake.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace burrow::crypto {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct Peers {
    Identity client_id = Identity::generate();
    Identity endpoint_id = Identity::generate();
    E2eHandshake client() const { return E2eHandshake::client(client_id, endpoint_id.public_key(), "home/ssh"); }
    E2eHandshake endpoint() const {
        return E2eHandshake::endpoint(endpoint_id, client_id.public_key(), "home/ssh", true);
    }
};

std::error_code feed(E2eHandshake& h, const Bytes& bytes) {
    std::size_t used = 0;
    auto ec = h.consume(bytes, used);
    if (!ec) {
        EXPECT_EQ(used, bytes.size());
    }
    return ec;
}

Bytes flipped(Bytes bytes, std::size_t bit) {
    bytes[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    return bytes;
}

bool handshake_error(std::error_code ec) { return ec && ec.category() == e2e_category(); }

// One shared pair: key generation is not what these loops test.
const Peers& peers() {
    static const Peers shared;
    return shared;
}

TEST(E2eTamper, AnyBitOfMsg1) {
    for (std::size_t bit = 0; bit < E2eHandshake::kMsg1Size * 8; ++bit) {
        SCOPED_TRACE(bit);
        auto c = peers().client();
        auto e = peers().endpoint();
        if (auto ec = feed(e, flipped(c.take_output(), bit))) {
            EXPECT_TRUE(handshake_error(ec)) << ec.message();
            EXPECT_TRUE(e.take_output().empty());
            EXPECT_FALSE(e.done());
            continue;
        }
        EXPECT_TRUE(handshake_error(feed(c, e.take_output())));
        EXPECT_FALSE(c.done());
        EXPECT_TRUE(c.take_output().empty());
        EXPECT_FALSE(e.done());
    }
}

TEST(E2eTamper, AnyBitOfMsg2) {
    for (std::size_t bit = 0; bit < E2eHandshake::kMsg2Size * 8; ++bit) {
        SCOPED_TRACE(bit);
        auto c = peers().client();
        auto e = peers().endpoint();
        ASSERT_FALSE(feed(e, c.take_output()));
        const auto ec = feed(c, flipped(e.take_output(), bit));
        EXPECT_TRUE(handshake_error(ec)) << ec.message();
        EXPECT_FALSE(c.done());
        EXPECT_TRUE(c.take_output().empty());
    }
}

TEST(E2eTamper, AnyBitOfMsg3) {
    for (std::size_t bit = 0; bit < E2eHandshake::kMsg3Size * 8; ++bit) {
        SCOPED_TRACE(bit);
        auto c = peers().client();
        auto e = peers().endpoint();
        ASSERT_FALSE(feed(e, c.take_output()));
        ASSERT_FALSE(feed(c, e.take_output()));
        EXPECT_EQ(feed(e, flipped(c.take_output(), bit)), E2eErrc::auth_failed);
        EXPECT_FALSE(e.done());
        auto opener = e.opener();
        Bytes plain;
        EXPECT_EQ(opener.open(Bytes{0, 17}, plain), E2eErrc::closed);
    }
}

TEST(E2eTamper, BadMagic) {
    auto c = peers().client();
    auto e = peers().endpoint();
    Bytes msg1 = c.take_output();
    msg1[0] = 'S';
    EXPECT_EQ(feed(e, msg1), E2eErrc::bad_magic);
    std::size_t used = 0;
    EXPECT_EQ(e.consume(msg1, used), E2eErrc::bad_magic);
    EXPECT_TRUE(e.take_output().empty());
}

TEST(E2eTamper, SshBannerIsBadMagic) {
    auto e = peers().endpoint();
    const std::string banner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
    EXPECT_EQ(feed(e, Bytes(banner.begin(), banner.end())), E2eErrc::bad_magic);
}

TEST(E2eTamper, UnsupportedVersion) {
    for (const std::uint8_t version : {0, 2, 255}) {
        auto c = peers().client();
        auto e = peers().endpoint();
        Bytes msg1 = c.take_output();
        msg1[4] = version;
        EXPECT_EQ(feed(e, msg1), E2eErrc::unsupported);
    }
}

TEST(E2eTamper, LowOrderClientEphemeral) {
    auto c = peers().client();
    auto e = peers().endpoint();
    Bytes msg1 = c.take_output();
    std::fill(msg1.begin() + 6, msg1.end(), 0);
    EXPECT_EQ(feed(e, msg1), E2eErrc::bad_key);
}

TEST(E2eTamper, LowOrderEndpointEphemeral) {
    auto c = peers().client();
    auto e = peers().endpoint();
    ASSERT_FALSE(feed(e, c.take_output()));
    Bytes msg2 = e.take_output();
    std::fill(msg2.begin(), msg2.begin() + 32, 0);
    EXPECT_EQ(feed(c, msg2), E2eErrc::bad_key);
}

TEST(E2eTamper, UnofferedCipherOrUnknownMode) {
    for (const auto& [at, value] : {std::pair{32, 0}, {32, 3}, {32, 4}, {33, 2}, {33, 255}}) {
        auto c = E2eHandshake::client(peers().client_id, peers().endpoint_id.public_key(), "home/ssh",
                                      static_cast<std::uint8_t>(Cipher::chacha20poly1305));
        auto e = peers().endpoint();
        ASSERT_FALSE(feed(e, c.take_output()));
        Bytes msg2 = e.take_output();
        msg2[at] = static_cast<std::uint8_t>(value);
        EXPECT_EQ(feed(c, msg2), E2eErrc::malformed);
    }
}

TEST(E2eTamper, InvalidStaticKeys) {
    PublicKey identity_point;
    identity_point.bytes[0] = 1;  // the neutral element: small order
    ASSERT_FALSE(x25519_public(identity_point));

    auto c = E2eHandshake::client(peers().client_id, identity_point, "home/ssh");
    EXPECT_EQ(c.take_output().size(), E2eHandshake::kMsg1Size);
    std::size_t used = 0;
    EXPECT_EQ(c.consume({}, used), E2eErrc::bad_key);

    auto e = E2eHandshake::endpoint(peers().endpoint_id, identity_point, "home/ssh", true);
    auto good = peers().client();
    EXPECT_EQ(feed(e, good.take_output()), E2eErrc::bad_key);
    EXPECT_TRUE(e.take_output().empty());
}

TEST(E2eTamper, MovedFromIsClosed) {
    auto c = peers().client();
    auto moved = std::move(c);
    std::size_t used = 0;
    EXPECT_EQ(c.consume(Bytes(66, 0), used), E2eErrc::closed);  // NOLINT(bugprone-use-after-move)
    EXPECT_FALSE(c.done());
    EXPECT_TRUE(c.take_output().empty());
    EXPECT_EQ(moved.take_output().size(), E2eHandshake::kMsg1Size);
}

TEST(E2eTamper, BytesAfterFailureAreRefused) {
    auto e = peers().endpoint();
    EXPECT_EQ(feed(e, Bytes(38, 0)), E2eErrc::bad_magic);
    auto c = peers().client();
    std::size_t used = 0;
    EXPECT_EQ(e.consume(c.take_output(), used), E2eErrc::bad_magic);
    EXPECT_FALSE(e.done());
}

}  // namespace
}  // namespace burrow::crypto
