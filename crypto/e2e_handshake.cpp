#include "crypto/e2e_handshake.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>

#include <sodium.h>

namespace burrow::crypto {
namespace {

using Bytes32 = std::array<std::uint8_t, 32>;
using Parts = std::initializer_list<std::span<const std::uint8_t>>;

constexpr std::uint8_t kMagic[4] = {'B', 'R', 'E', '1'};
constexpr std::uint8_t kVersion = 1;
constexpr std::string_view kLabel = "burrow e2e v1";
constexpr std::uint8_t kModePlain = 0;
constexpr std::uint8_t kModeEncrypted = 1;

std::span<const std::uint8_t> bytes_of(std::string_view text) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// BLAKE2b-256 of the concatenated parts, keyed by `key` unless it is empty.
void blake2b(std::uint8_t* out, std::span<const std::uint8_t> key, Parts parts) noexcept {
    crypto_generichash_blake2b_state state;
    crypto_generichash_blake2b_init(&state, key.data(), key.size(), 32);
    for (const auto part : parts) crypto_generichash_blake2b_update(&state, part.data(), part.size());
    crypto_generichash_blake2b_final(&state, out, 32);
    sodium_memzero(&state, sizeof state);
}

// X25519; false for an all-zero result (a low-order point).
bool dh(E2eSecret& out, const E2eSecret& secret, std::span<const std::uint8_t, 32> peer) noexcept {
    return crypto_scalarmult(out.data(), secret.data(), peer.data()) == 0;
}

// Cipher picked by the endpoint from the two offers; 0 if none is shared.
std::uint8_t pick_cipher(std::uint8_t offered, std::uint8_t mine) noexcept {
    const std::uint8_t common = offered & mine;
    if (common & static_cast<std::uint8_t>(Cipher::aes256gcm)) return static_cast<std::uint8_t>(Cipher::aes256gcm);
    return common & static_cast<std::uint8_t>(Cipher::chacha20poly1305);
}

}  // namespace

struct E2eHandshake::State {
    enum class Step { await_msg1, await_msg2, await_msg3, done, failed };

    bool is_client = false;
    Step step = Step::failed;
    std::error_code error;
    std::string target;
    PublicKey client_key;
    PublicKey endpoint_key;
    Bytes32 peer_x{};  // X25519 form of the peer's static key
    E2eSecret static_secret;
    E2eSecret eph_secret;
    Bytes32 eph_public{};
    std::array<std::uint8_t, kMsg1Size> msg1{};
    std::uint8_t offer = 0;
    bool encrypt = false;
    Cipher cipher = Cipher::chacha20poly1305;
    Bytes32 expect_tag{};  // endpoint: the msg3 it waits for
    E2eSecret send_key;
    E2eSecret recv_key;
    bool sealer_taken = false;
    bool opener_taken = false;
    std::array<std::uint8_t, kMsg2Size> in{};
    std::size_t have = 0;
    std::vector<std::uint8_t> out;

    void start(const Identity& me, const PublicKey& peer, std::string_view target_name, std::uint8_t ciphers);
    std::error_code fail(std::error_code why) noexcept;
    std::size_t expected() const noexcept;
    std::error_code on_message();
    std::error_code on_msg1();
    std::error_code on_msg2();
    std::error_code on_msg3() noexcept;
    std::error_code derive(std::span<const std::uint8_t, 32> peer_eph, std::uint8_t cipher_bits, std::uint8_t mode,
                           Bytes32& endpoint_tag, Bytes32& client_tag);
};

void E2eHandshake::State::start(const Identity& me, const PublicKey& peer, std::string_view target_name,
                                std::uint8_t ciphers) {
    offer = ciphers & available_ciphers();
    target = target_name;
    auto secret = me.x25519_secret();
    static_secret = E2eSecret(secret);
    sodium_memzero(secret.data(), secret.size());
    randombytes_buf(eph_secret.data(), E2eSecret::kSize);
    crypto_scalarmult_base(eph_public.data(), eph_secret.data());
    if (const auto x = x25519_public(peer)) {
        peer_x = *x;
    } else {
        error = E2eErrc::bad_key;
    }
    if (target.size() > 0xffff) error = E2eErrc::malformed;
    if (offer == 0) error = E2eErrc::no_common_cipher;
}

std::error_code E2eHandshake::State::fail(std::error_code why) noexcept {
    step = Step::failed;
    error = why;
    static_secret.wipe();
    eph_secret.wipe();
    send_key.wipe();
    recv_key.wipe();
    sodium_memzero(expect_tag.data(), expect_tag.size());
    return why;
}

std::size_t E2eHandshake::State::expected() const noexcept {
    switch (step) {
        case Step::await_msg1: return kMsg1Size;
        case Step::await_msg2: return kMsg2Size;
        case Step::await_msg3: return kMsg3Size;
        case Step::done:
        case Step::failed: break;
    }
    return 0;
}

std::error_code E2eHandshake::State::on_message() {
    switch (step) {
        case Step::await_msg1: return on_msg1();
        case Step::await_msg2: return on_msg2();
        case Step::await_msg3: return on_msg3();
        case Step::done:
        case Step::failed: break;
    }
    return E2eErrc::closed;
}

// Transcript hash, then prk = BLAKE2b(key h, ee|es|se) and the keys and tags.
std::error_code E2eHandshake::State::derive(std::span<const std::uint8_t, 32> peer_eph, std::uint8_t cipher_bits,
                                            std::uint8_t mode, Bytes32& endpoint_tag, Bytes32& client_tag) {
    const auto x_peer = std::span<const std::uint8_t, 32>(peer_x);
    E2eSecret ee, es, se;
    const bool ok = is_client
                        ? dh(ee, eph_secret, peer_eph) && dh(es, eph_secret, x_peer) && dh(se, static_secret, peer_eph)
                        : dh(ee, eph_secret, peer_eph) && dh(es, static_secret, peer_eph) && dh(se, eph_secret, x_peer);
    static_secret.wipe();
    eph_secret.wipe();
    if (!ok) return E2eErrc::bad_key;

    const std::uint8_t length[2] = {static_cast<std::uint8_t>(target.size() >> 8),
                                    static_cast<std::uint8_t>(target.size())};
    const std::uint8_t tail[2] = {cipher_bits, mode};
    const auto endpoint_eph = is_client ? peer_eph : std::span<const std::uint8_t, 32>(eph_public);
    Bytes32 h{};
    blake2b(h.data(), {}, {bytes_of(kLabel), length, bytes_of(target), client_key.bytes, endpoint_key.bytes, msg1,
                           endpoint_eph, tail});

    E2eSecret prk, confirm, c2e, e2c;
    blake2b(prk.data(), h, {ee.view(), es.view(), se.view()});
    blake2b(c2e.data(), prk.view(), {bytes_of("c2e")});
    blake2b(e2c.data(), prk.view(), {bytes_of("e2c")});
    blake2b(confirm.data(), prk.view(), {bytes_of("confirm")});
    blake2b(endpoint_tag.data(), confirm.view(), {bytes_of("endpoint"), h});
    blake2b(client_tag.data(), confirm.view(), {bytes_of("client"), h});
    send_key = std::move(is_client ? c2e : e2c);
    recv_key = std::move(is_client ? e2c : c2e);
    return {};
}

std::error_code E2eHandshake::State::on_msg1() {
    std::memcpy(msg1.data(), in.data(), kMsg1Size);
    if (std::memcmp(msg1.data(), kMagic, sizeof kMagic) != 0) return E2eErrc::bad_magic;
    if (msg1[4] != kVersion) return E2eErrc::unsupported;
    const std::uint8_t chosen = pick_cipher(msg1[5], offer);
    if (chosen == 0) return E2eErrc::no_common_cipher;
    cipher = static_cast<Cipher>(chosen);

    const std::uint8_t mode = encrypt ? kModeEncrypted : kModePlain;
    Bytes32 endpoint_tag{};
    const auto client_eph = std::span<const std::uint8_t, 32>(msg1.data() + 6, 32);
    if (auto ec = derive(client_eph, chosen, mode, endpoint_tag, expect_tag)) return ec;
    out.insert(out.end(), eph_public.begin(), eph_public.end());
    out.push_back(chosen);
    out.push_back(mode);
    out.insert(out.end(), endpoint_tag.begin(), endpoint_tag.end());
    step = Step::await_msg3;
    return {};
}

std::error_code E2eHandshake::State::on_msg2() {
    const std::uint8_t chosen = in[32];
    const std::uint8_t mode = in[33];
    const bool one_offered = chosen == pick_cipher(chosen, offer) && chosen != 0;
    if (!one_offered || (mode != kModePlain && mode != kModeEncrypted)) return E2eErrc::malformed;

    Bytes32 endpoint_tag{}, client_tag{};
    const auto endpoint_eph = std::span<const std::uint8_t, 32>(in.data(), 32);
    if (auto ec = derive(endpoint_eph, chosen, mode, endpoint_tag, client_tag)) return ec;
    if (sodium_memcmp(endpoint_tag.data(), in.data() + 34, 32) != 0) return E2eErrc::auth_failed;
    cipher = static_cast<Cipher>(chosen);
    encrypt = mode == kModeEncrypted;
    out.insert(out.end(), client_tag.begin(), client_tag.end());
    step = Step::done;
    return {};
}

std::error_code E2eHandshake::State::on_msg3() noexcept {
    if (sodium_memcmp(expect_tag.data(), in.data(), kMsg3Size) != 0) return E2eErrc::auth_failed;
    sodium_memzero(expect_tag.data(), expect_tag.size());
    step = Step::done;
    return {};
}

E2eHandshake::E2eHandshake(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
E2eHandshake::E2eHandshake(E2eHandshake&&) noexcept = default;
E2eHandshake& E2eHandshake::operator=(E2eHandshake&&) noexcept = default;
E2eHandshake::~E2eHandshake() = default;

E2eHandshake E2eHandshake::client(const Identity& me, const PublicKey& endpoint_key, std::string_view target,
                                  std::uint8_t ciphers) {
    auto s = std::make_unique<State>();
    s->is_client = true;
    s->client_key = me.public_key();
    s->endpoint_key = endpoint_key;
    s->start(me, endpoint_key, target, ciphers);
    std::memcpy(s->msg1.data(), kMagic, sizeof kMagic);
    s->msg1[4] = kVersion;
    s->msg1[5] = s->offer;
    std::memcpy(s->msg1.data() + 6, s->eph_public.data(), 32);
    s->out.assign(s->msg1.begin(), s->msg1.end());
    s->step = State::Step::await_msg2;
    if (s->error) s->fail(s->error);
    return E2eHandshake(std::move(s));
}

E2eHandshake E2eHandshake::endpoint(const Identity& me, const PublicKey& client_key, std::string_view target,
                                    bool encrypt, std::uint8_t ciphers) {
    auto s = std::make_unique<State>();
    s->client_key = client_key;
    s->endpoint_key = me.public_key();
    s->encrypt = encrypt;
    s->start(me, client_key, target, ciphers);
    s->step = State::Step::await_msg1;
    if (s->error) s->fail(s->error);
    return E2eHandshake(std::move(s));
}

std::vector<std::uint8_t> E2eHandshake::take_output() {
    if (!state_) return {};
    return std::exchange(state_->out, {});
}

std::error_code E2eHandshake::consume(std::span<const std::uint8_t> in, std::size_t& used) {
    used = 0;
    if (!state_) return E2eErrc::closed;
    State& s = *state_;
    if (s.step == State::Step::failed) return s.fail(s.error);
    while (used < in.size() && s.expected() != 0) {
        const std::size_t want = s.expected();
        const std::size_t take = std::min(want - s.have, in.size() - used);
        std::memcpy(s.in.data() + s.have, in.data() + used, take);
        s.have += take;
        used += take;
        if (s.have < want) break;
        s.have = 0;
        if (auto ec = s.on_message()) return s.fail(ec);
    }
    return {};
}

bool E2eHandshake::done() const noexcept { return state_ && state_->step == State::Step::done; }

bool E2eHandshake::encrypted() const noexcept { return state_ && state_->encrypt; }

Cipher E2eHandshake::cipher() const noexcept { return state_ ? state_->cipher : Cipher::chacha20poly1305; }

RecordSealer E2eHandshake::sealer() const {
    if (!done() || state_->sealer_taken) return {};
    state_->sealer_taken = true;
    return RecordSealer(state_->cipher, std::move(state_->send_key));
}

RecordOpener E2eHandshake::opener() const {
    if (!done() || state_->opener_taken) return {};
    state_->opener_taken = true;
    return RecordOpener(state_->cipher, std::move(state_->recv_key));
}

}  // namespace burrow::crypto
