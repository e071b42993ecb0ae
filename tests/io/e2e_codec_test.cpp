// io::make_e2e_codec, the end-to-end layer as a StreamPump sees it: the
// handshake in the stream's first bytes, then records (or plain bytes), and
// what it refuses.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <span>
#include <utility>
#include <string>
#include <vector>

#include "crypto/identity.hpp"
#include "io/e2e_codec.hpp"

namespace burrow::io {
namespace {

using crypto::E2eErrc;
using crypto::E2eHandshake;
using crypto::Identity;
using Bytes = std::vector<std::uint8_t>;

Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

struct Codecs {
    explicit Codecs(bool encrypt = true)
        : client(make_e2e_codec(E2eHandshake::client(client_id, endpoint_id.public_key(), "lab/ssh"))),
          endpoint(make_e2e_codec(E2eHandshake::endpoint(endpoint_id, client_id.public_key(), "lab/ssh", encrypt))) {}

    // Passes handshake messages both ways, `chunk` bytes at a time, until
    // neither side has one; the first error.
    std::error_code shake(std::size_t chunk = 1 << 20) {
        const std::pair<StreamCodec*, StreamCodec*> ways[] = {{client.get(), endpoint.get()},
                                                              {endpoint.get(), client.get()}};
        for (bool moved = true; moved;) {
            moved = false;
            for (auto [from, to] : ways) {
                const Bytes out = from->take_output();
                for (std::size_t at = 0; at < out.size(); at += chunk) {
                    moved = true;
                    Bytes plain;
                    const auto piece = std::span(out).subspan(at, std::min(chunk, out.size() - at));
                    if (auto ec = to->decode(piece, plain)) return ec;
                    EXPECT_TRUE(plain.empty());
                }
            }
        }
        return {};
    }

    Identity client_id = Identity::generate();
    Identity endpoint_id = Identity::generate();
    std::unique_ptr<StreamCodec> client;
    std::unique_ptr<StreamCodec> endpoint;
};

// `plain` through `from` and `to`: what `to` hands out.
Bytes through(StreamCodec& from, StreamCodec& to, const Bytes& plain, Bytes* wire = nullptr) {
    Bytes sealed;
    EXPECT_FALSE(from.encode(plain, sealed));
    if (wire) *wire = sealed;
    Bytes out;
    EXPECT_FALSE(to.decode(sealed, out));
    return out;
}

TEST(E2eCodec, AHandshakeThenRecordsBothWays) {
    Codecs c;
    EXPECT_FALSE(c.client->can_encode());
    EXPECT_FALSE(c.endpoint->can_encode());
    ASSERT_FALSE(c.shake());
    ASSERT_TRUE(c.client->can_encode());
    ASSERT_TRUE(c.endpoint->can_encode());
    Bytes wire;
    EXPECT_EQ(through(*c.client, *c.endpoint, bytes("ls -la\n"), &wire), bytes("ls -la\n"));
    EXPECT_NE(wire, bytes("ls -la\n"));
    EXPECT_GT(wire.size(), 7u);
    EXPECT_EQ(through(*c.endpoint, *c.client, bytes("total 0\n")), bytes("total 0\n"));

    Bytes end;
    ASSERT_FALSE(c.client->finish(end));
    EXPECT_EQ(c.endpoint->on_peer_fin(), E2eErrc::truncated);  // FIN before the end record arrived
    Bytes none;
    ASSERT_FALSE(c.endpoint->decode(end, none));
    EXPECT_TRUE(none.empty());
    EXPECT_FALSE(c.endpoint->on_peer_fin());
}

TEST(E2eCodec, HandshakeBytesOneAtATime) {
    Codecs c;
    ASSERT_FALSE(c.shake(1));
    ASSERT_TRUE(c.client->can_encode());
    EXPECT_EQ(through(*c.client, *c.endpoint, bytes("x")), bytes("x"));
}

TEST(E2eCodec, WithoutRecordsBytesPassUnchangedAfterTheHandshake) {
    Codecs c(false);
    ASSERT_FALSE(c.shake());
    Bytes wire;
    EXPECT_EQ(through(*c.client, *c.endpoint, bytes("SSH-2.0-x\r\n"), &wire), bytes("SSH-2.0-x\r\n"));
    EXPECT_EQ(wire, bytes("SSH-2.0-x\r\n"));
    Bytes end;
    EXPECT_FALSE(c.client->finish(end));
    EXPECT_TRUE(end.empty());
    EXPECT_FALSE(c.endpoint->on_peer_fin());
}

TEST(E2eCodec, AnAlteredRecordIsRefusedAndSoIsEverythingAfter) {
    Codecs c;
    ASSERT_FALSE(c.shake());
    Bytes sealed;
    ASSERT_FALSE(c.client->encode(bytes("rm -rf build"), sealed));
    sealed[sealed.size() / 2] ^= 0x01;
    Bytes plain;
    EXPECT_EQ(c.endpoint->decode(sealed, plain), E2eErrc::auth_failed);
    EXPECT_TRUE(plain.empty());
    Bytes good;
    ASSERT_FALSE(c.client->encode(bytes("ls"), good));
    EXPECT_TRUE(c.endpoint->decode(good, plain));
    EXPECT_TRUE(plain.empty());
}

TEST(E2eCodec, AnAlteredHandshakeIsRefused) {
    Codecs c;
    Bytes msg1 = c.client->take_output();
    Bytes plain;
    ASSERT_FALSE(c.endpoint->decode(msg1, plain));
    Bytes msg2 = c.endpoint->take_output();
    ASSERT_EQ(msg2.size(), E2eHandshake::kMsg2Size);
    msg2.back() ^= 0x80;  // in the tag
    EXPECT_EQ(c.client->decode(msg2, plain), E2eErrc::auth_failed);
    EXPECT_FALSE(c.client->can_encode());
    EXPECT_TRUE(plain.empty());
}

TEST(E2eCodec, ABareFinDuringTheHandshakeIsTruncation) {
    Codecs c;
    EXPECT_EQ(c.endpoint->on_peer_fin(), E2eErrc::truncated);
}

TEST(E2eCodec, NothingIsEncodedBeforeTheHandshakeIsDone) {
    for (const bool encrypt : {true, false}) {
        Codecs c(encrypt);
        Bytes out;
        EXPECT_EQ(c.client->encode(bytes("password123"), out), E2eErrc::closed);
        EXPECT_TRUE(out.empty());  // no plaintext on the stream
        EXPECT_EQ(c.client->finish(out), E2eErrc::closed);
        EXPECT_TRUE(out.empty());
        // Halfway: the endpoint has msg1 but not msg3.
        Bytes plain;
        ASSERT_FALSE(c.endpoint->decode(c.client->take_output(), plain));
        EXPECT_FALSE(c.endpoint->can_encode());
        EXPECT_EQ(c.endpoint->encode(bytes("banner"), out), E2eErrc::closed);
        EXPECT_TRUE(out.empty());
    }
}

}  // namespace
}  // namespace burrow::io
