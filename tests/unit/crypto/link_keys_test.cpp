#include "crypto/link_keys.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <memory>
#include <utility>
#include <vector>

#include "crypto/identity.hpp"
#include "crypto/tls_identity.hpp"

namespace burrow::crypto {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
};
using Ctx = std::unique_ptr<SSL_CTX, CtxFree>;
using Ssl = std::unique_ptr<SSL, SslFree>;

// A client and a server with burrow's TLS contexts, handshaking in memory.
struct TlsPair {
    Ctx client_ctx{make_tls_context(Identity::generate(), false)};
    Ctx server_ctx{make_tls_context(Identity::generate(), true)};
    Ssl client{SSL_new(client_ctx.get())};
    Ssl server{SSL_new(server_ctx.get())};

    explicit TlsPair(const char* suites = nullptr) {
        if (suites) SSL_set_ciphersuites(client.get(), suites);
        BIO* c = nullptr;
        BIO* s = nullptr;
        BIO_new_bio_pair(&c, 0, &s, 0);
        SSL_set_bio(client.get(), c, c);
        SSL_set_bio(server.get(), s, s);
        SSL_set_connect_state(client.get());
        SSL_set_accept_state(server.get());
    }

    bool handshake() {
        for (int round = 0; round < 10; ++round) {
            const int c = SSL_do_handshake(client.get());
            const int s = SSL_do_handshake(server.get());
            if (c == 1 && s == 1) return true;
        }
        return false;
    }
};

Bytes seal(RecordSealer& sealer, const Bytes& plain) {
    Bytes wire;
    EXPECT_FALSE(sealer.seal(plain, wire));
    return wire;
}

TEST(LinkKeys, EachDirectionOpensOnTheOtherSideOnly) {
    TlsPair tls;
    ASSERT_TRUE(tls.handshake());
    auto client = tls_link_keys(tls.client.get(), false);
    auto server = tls_link_keys(tls.server.get(), true);
    const Bytes hello = {'h', 'e', 'l', 'l', 'o'};

    Bytes plain;
    EXPECT_FALSE(server.opener.open(seal(client.sealer, hello), plain));
    EXPECT_EQ(plain, hello);
    plain.clear();
    EXPECT_FALSE(client.opener.open(seal(server.sealer, hello), plain));
    EXPECT_EQ(plain, hello);

    // A record sent back to its sender (a reflection) does not open.
    auto again = tls_link_keys(tls.client.get(), false);
    plain.clear();
    EXPECT_EQ(again.opener.open(seal(again.sealer, hello), plain), E2eErrc::auth_failed);
    EXPECT_TRUE(plain.empty());
}

TEST(LinkKeys, AnotherConnectionHasOtherKeys) {
    TlsPair first;
    TlsPair second;
    ASSERT_TRUE(first.handshake());
    ASSERT_TRUE(second.handshake());
    auto sender = tls_link_keys(first.client.get(), false);
    auto other = tls_link_keys(second.server.get(), true);
    Bytes plain;
    EXPECT_EQ(other.opener.open(seal(sender.sealer, {1, 2, 3}), plain), E2eErrc::auth_failed);
}

TEST(LinkKeys, FollowTheNegotiatedSuite) {
    const std::pair<const char*, Cipher> cases[] = {{"TLS_CHACHA20_POLY1305_SHA256", Cipher::chacha20poly1305},
                                                    {"TLS_AES_128_GCM_SHA256", Cipher::aes256gcm},
                                                    {"TLS_AES_256_GCM_SHA384", Cipher::aes256gcm}};
    for (const auto& [suite, cipher] : cases) {
        SCOPED_TRACE(suite);
        TlsPair tls(suite);
        ASSERT_TRUE(tls.handshake());
        auto client = tls_link_keys(tls.client.get(), false);
        auto server = tls_link_keys(tls.server.get(), true);
        EXPECT_EQ(client.sealer.cipher(), cipher);
        EXPECT_EQ(server.sealer.cipher(), cipher);
        Bytes plain;
        EXPECT_FALSE(server.opener.open(seal(client.sealer, {7, 8, 9}), plain));
        EXPECT_EQ(plain, (Bytes{7, 8, 9}));
    }
}

}  // namespace
}  // namespace burrow::crypto
