#include "crypto/tls_identity.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>

namespace burrow::crypto {
namespace {

constexpr unsigned char kAlpnWire[] = {8, 'b', 'u', 'r', 'r', 'o', 'w', '/', '1'};

struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};

[[noreturn]] void fail(const std::string& what) { throw TlsError(what + ": " + tls_last_error()); }

std::unique_ptr<X509, X509Free> self_signed(EVP_PKEY* key) {
    std::unique_ptr<X509, X509Free> cert(X509_new());
    if (!cert) fail("X509_new");
    X509_set_version(cert.get(), 2);
    unsigned char serial[8];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    std::uint64_t s = 0;
    for (unsigned char b : serial) s = (s << 8) | b;
    ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), s);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 100L * 365 * 24 * 3600);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("burrow"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    if (X509_set_pubkey(cert.get(), key) != 1) fail("X509_set_pubkey");
    if (X509_sign(cert.get(), key, nullptr) <= 0) fail("X509_sign");  // Ed25519 takes no digest
    return cert;
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
                void*) {
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen, kAlpnWire, sizeof kAlpnWire, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

// Chains are not checked (there is no CA); the key is compared after the handshake.
int accept_any_chain(int, X509_STORE_CTX*) { return 1; }

}  // namespace

std::string tls_last_error() {
    const unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return "no details";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

SSL_CTX* make_tls_context(const Identity& identity, bool server) {
    std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
    if (!ctx) fail("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
    SSL_CTX_set_num_tickets(ctx.get(), 0);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);  // idle sessions hold no record buffers
    const auto seed = identity.seed();
    std::unique_ptr<EVP_PKEY, PkeyFree> key(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
    if (!key) fail("loading the identity key");
    auto cert = self_signed(key.get());
    if (SSL_CTX_use_certificate(ctx.get(), cert.get()) != 1) fail("SSL_CTX_use_certificate");
    if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1) fail("SSL_CTX_use_PrivateKey");
    if (SSL_CTX_check_private_key(ctx.get()) != 1) fail("SSL_CTX_check_private_key");
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_chain);
    if (server) {
        SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, nullptr);
    } else if (SSL_CTX_set_alpn_protos(ctx.get(), kAlpnWire, sizeof kAlpnWire) != 0) {
        fail("SSL_CTX_set_alpn_protos");
    }
    return ctx.release();
}

std::optional<PublicKey> tls_peer_key(SSL* ssl) {
    std::unique_ptr<X509, X509Free> cert(SSL_get1_peer_certificate(ssl));
    if (!cert) return std::nullopt;
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) return std::nullopt;
    PublicKey out;
    std::size_t len = out.bytes.size();
    if (EVP_PKEY_get_raw_public_key(key, out.bytes.data(), &len) != 1 || len != out.bytes.size()) return std::nullopt;
    return out;
}

bool tls_alpn_ok(SSL* ssl) {
    const unsigned char* proto = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(ssl, &proto, &len);
    return len == sizeof kAlpnWire - 1 && std::memcmp(proto, kAlpnWire + 1, len) == 0;
}

}  // namespace burrow::crypto
