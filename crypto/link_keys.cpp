#include "crypto/link_keys.hpp"

#include <openssl/ssl.h>
#include <sodium/utils.h>

#include <array>
#include <cstring>

#include "crypto/tls_identity.hpp"

namespace burrow::crypto {
namespace {

constexpr char kClientToServer[] = "EXPORTER-burrow/1 link client to server";
constexpr char kServerToClient[] = "EXPORTER-burrow/1 link server to client";
constexpr std::uint16_t kTlsChaCha20Poly1305 = 0x1303;

E2eSecret export_key(SSL* ssl, const char* label) {
    std::array<std::uint8_t, E2eSecret::kSize> bytes{};
    if (SSL_export_keying_material(ssl, bytes.data(), bytes.size(), label, std::strlen(label), nullptr, 0, 0) != 1)
        throw TlsError("deriving the link keys: " + tls_last_error());
    E2eSecret key{std::span<const std::uint8_t, E2eSecret::kSize>(bytes)};
    sodium_memzero(bytes.data(), bytes.size());
    return key;
}

}  // namespace

LinkKeys tls_link_keys(SSL* ssl, bool server) {
    const SSL_CIPHER* suite = SSL_get_current_cipher(ssl);
    const Cipher cipher = suite && SSL_CIPHER_get_protocol_id(suite) == kTlsChaCha20Poly1305
                              ? Cipher::chacha20poly1305
                              : Cipher::aes256gcm;
    E2eSecret to_server = export_key(ssl, kClientToServer);
    E2eSecret to_client = export_key(ssl, kServerToClient);
    if (server) return {RecordSealer(cipher, std::move(to_client)), RecordOpener(cipher, std::move(to_server))};
    return {RecordSealer(cipher, std::move(to_server)), RecordOpener(cipher, std::move(to_client))};
}

}  // namespace burrow::crypto
