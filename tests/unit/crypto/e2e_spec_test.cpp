// Recomputes the handshake and the first records from the primitives named
// in the specification (known ephemeral secrets through a test RNG), so a
// change to the wire bytes or the key schedule cannot pass unnoticed.
#include "crypto/e2e_handshake.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>
#include <string>
#include <vector>

namespace burrow::crypto {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::vector<Bytes> g_handed_out;

const char* fixed_name() { return "fixed"; }
std::uint32_t fixed_random() { return 4; }
void fixed_buf(void* out, std::size_t size) {
    Bytes bytes(size);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(g_handed_out.size() * 89 + i * 7 + 1);
    std::memcpy(out, bytes.data(), size);
    g_handed_out.push_back(bytes);
}
randombytes_implementation g_fixed = {fixed_name, fixed_random, nullptr, nullptr, fixed_buf, nullptr};

// Swaps in the fixed RNG for its lifetime.
struct FixedRandom {
    bool internal = std::string(randombytes_implementation_name()) == "internal";
    FixedRandom() {
        g_handed_out.clear();
        randombytes_set_implementation(&g_fixed);
    }
    ~FixedRandom() {
        randombytes_set_implementation(internal ? &randombytes_internal_implementation
                                                : &randombytes_sysrandom_implementation);
    }
};

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

Bytes of(std::string_view text) { return Bytes(text.begin(), text.end()); }
template <std::size_t N>
Bytes of(const std::array<std::uint8_t, N>& a) { return Bytes(a.begin(), a.end()); }

Bytes blake(const Bytes& key, const Bytes& msg) {
    Bytes out(32);
    crypto_generichash(out.data(), 32, msg.data(), msg.size(), key.empty() ? nullptr : key.data(), key.size());
    return out;
}

Bytes x25519(const Bytes& secret, const Bytes& pub) {
    Bytes out(32);
    EXPECT_EQ(crypto_scalarmult(out.data(), secret.data(), pub.data()), 0);
    return out;
}

Bytes aead(Cipher cipher, const Bytes& key, std::uint64_t counter, const Bytes& plain) {
    const std::uint8_t length[2] = {static_cast<std::uint8_t>((plain.size() + 16) >> 8),
                                    static_cast<std::uint8_t>(plain.size() + 16)};
    std::uint8_t nonce[12] = {};
    for (int i = 0; i < 8; ++i) nonce[11 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
    Bytes out(2 + plain.size() + 16);
    out[0] = length[0];
    out[1] = length[1];
    unsigned long long n = 0;
    if (cipher == Cipher::aes256gcm) {
        crypto_aead_aes256gcm_encrypt(out.data() + 2, &n, plain.data(), plain.size(), length, 2, nullptr, nonce,
                                      key.data());
    } else {
        crypto_aead_chacha20poly1305_ietf_encrypt(out.data() + 2, &n, plain.data(), plain.size(), length, 2, nullptr,
                                                  nonce, key.data());
    }
    return out;
}

class E2eSpec : public ::testing::TestWithParam<std::uint8_t> {};

TEST_P(E2eSpec, WireBytesAndKeysFollowTheSpecification) {
    const std::uint8_t offer = GetParam();
    if ((available_ciphers() & offer) != offer) GTEST_SKIP() << "cipher not available";
    const Identity client_id = Identity::generate();
    const Identity endpoint_id = Identity::generate();
    const std::string target = "home/ssh";

    std::optional<E2eHandshake> c, e;
    Bytes c_eph, e_eph;
    {
        FixedRandom fixed;
        c.emplace(E2eHandshake::client(client_id, endpoint_id.public_key(), target, offer));
        e.emplace(E2eHandshake::endpoint(endpoint_id, client_id.public_key(), target, true));
        ASSERT_EQ(g_handed_out.size(), 2u);
        c_eph = g_handed_out[0];
        e_eph = g_handed_out[1];
    }
    const Bytes msg1 = c->take_output();
    std::size_t used = 0;
    ASSERT_FALSE(e->consume(msg1, used));
    const Bytes msg2 = e->take_output();
    ASSERT_FALSE(c->consume(msg2, used));
    const Bytes msg3 = c->take_output();
    ASSERT_FALSE(e->consume(msg3, used));
    ASSERT_TRUE(e->done());

    Bytes c_pub(32), e_pub(32);
    crypto_scalarmult_base(c_pub.data(), c_eph.data());
    crypto_scalarmult_base(e_pub.data(), e_eph.data());
    EXPECT_EQ(msg1, cat({of("BRE1"), {1, offer}, c_pub}));
    ASSERT_EQ(msg2.size(), 66u);
    EXPECT_EQ(Bytes(msg2.begin(), msg2.begin() + 32), e_pub);
    const std::uint8_t cipher = offer == 1 ? 1 : 2;
    EXPECT_EQ(msg2[32], cipher);
    EXPECT_EQ(msg2[33], 1);

    const Bytes e_static_x = of(*x25519_public(endpoint_id.public_key()));
    const Bytes c_static_secret = of(client_id.x25519_secret());
    const Bytes ee = x25519(c_eph, e_pub);
    const Bytes es = x25519(c_eph, e_static_x);
    const Bytes se = x25519(c_static_secret, e_pub);
    const Bytes h = blake({}, cat({of("burrow e2e v1"), {0, static_cast<std::uint8_t>(target.size())}, of(target),
                                   of(client_id.public_key().bytes), of(endpoint_id.public_key().bytes), msg1, e_pub,
                                   {cipher, 1}}));
    const Bytes prk = blake(h, cat({ee, es, se}));
    const Bytes c2e = blake(prk, of("c2e"));
    const Bytes e2c = blake(prk, of("e2c"));
    const Bytes confirm = blake(prk, of("confirm"));
    EXPECT_EQ(Bytes(msg2.begin() + 34, msg2.end()), blake(confirm, cat({of("endpoint"), h})));
    EXPECT_EQ(msg3, blake(confirm, cat({of("client"), h})));

    auto cs = c->sealer();
    auto es_ = e->sealer();
    Bytes up, down;
    ASSERT_FALSE(cs.seal(of("hello"), up));
    ASSERT_FALSE(cs.seal(of("world!"), up));
    ASSERT_FALSE(es_.seal(of("hi"), down));
    EXPECT_EQ(up, cat({aead(static_cast<Cipher>(cipher), c2e, 0, of("hello")),
                       aead(static_cast<Cipher>(cipher), c2e, 1, of("world!"))}));
    EXPECT_EQ(down, aead(static_cast<Cipher>(cipher), e2c, 0, of("hi")));
}

INSTANTIATE_TEST_SUITE_P(Ciphers, E2eSpec, ::testing::Values(std::uint8_t{1}, std::uint8_t{3}));

TEST(E2eErrc, CategoryAndMessages) {
    const std::error_code ec = E2eErrc::auth_failed;
    EXPECT_STREQ(ec.category().name(), "burrow-e2e");
    EXPECT_EQ(ec.message(),
              "end-to-end authentication failed: the peer does not hold the expected key or the data was altered");
    EXPECT_EQ(e2e_errc_name(E2eErrc::record_limit), "record_limit");
    for (int v = 1; v <= static_cast<int>(E2eErrc::closed); ++v) {
        const std::error_code code = static_cast<E2eErrc>(v);
        EXPECT_EQ(code.message().rfind("end-to-end", 0), 0u) << v;
    }
    EXPECT_EQ(std::error_code(E2eErrc::closed), E2eErrc::closed);
    EXPECT_NE(std::error_code(E2eErrc::closed), std::error_code(9, std::generic_category()));
}

}  // namespace
}  // namespace burrow::crypto
