// burrow with a tap on the relay's splices, for tests that must see what the
// relay sees. Environment:
//   BURROW_TAP_LOG=FILE      append every byte the relay carries to FILE
//   BURROW_TAP_TARGET=T      alter only streams to target T (endpoint/service)
//   BURROW_TAP_FLIP=N        flip the low bit of the Nth byte (0-based) client -> endpoint
//   BURROW_TAP_REPLAY=N      send the chunk holding byte N (client -> endpoint) twice
//   BURROW_TAP_CUT=N         drop every client -> endpoint byte from the Nth on (the FIN still passes)
//   BURROW_TAP_ACCEPT_KEY=K  name key K (burrow-ed25519 ...) to the client as the endpoint's, in ACCEPT
//   BURROW_TAP_TICKETS=FILE  append "ID SECRET" (hex) of every resume ticket the relay issues
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "app/cli.hpp"
#include "relay/relay.hpp"
#include "relay/splice_observer.hpp"

namespace {

long env_long(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::atol(v) : -1;
}

class Tap final : public burrow::relay::SpliceObserver {
public:
    Tap(std::FILE* log, std::FILE* tickets, std::string only, long flip, long replay, long cut,
        std::optional<burrow::proto::PeerKey> accept_key)
        : log_(log), tickets_(tickets), only_(std::move(only)), flip_(flip), replay_(replay), cut_(cut),
          accept_key_(accept_key) {}

    void on_data(const std::string& target, int side, std::vector<std::uint8_t>& bytes) override {
        if (log_) {
            std::fwrite(bytes.data(), 1, bytes.size(), log_);
            std::fflush(log_);
        }
        if (side != 0 || (!only_.empty() && target != only_)) return;
        const long begin = seen_;
        seen_ += static_cast<long>(bytes.size());
        if (flip_ >= begin && flip_ < seen_) bytes[static_cast<std::size_t>(flip_ - begin)] ^= 1;
        if (cut_ >= 0 && cut_ < seen_) bytes.resize(static_cast<std::size_t>(std::max(0L, cut_ - begin)));
        if (replay_ >= begin && replay_ < seen_) {
            const std::vector<std::uint8_t> copy = bytes;
            bytes.insert(bytes.end(), copy.begin(), copy.end());
        }
    }

    void on_accept(const std::string&, burrow::proto::PeerKey& named) override {
        if (accept_key_) named = *accept_key_;
    }

    // "<id hex> <secret hex>" per line, for tests that search logs for the secret.
    void on_ticket(const burrow::proto::ResumeTicket& t) override {
        if (!tickets_) return;
        for (const auto b : t.id) std::fprintf(tickets_, "%02x", b);
        std::fputc(' ', tickets_);
        for (const auto b : t.secret) std::fprintf(tickets_, "%02x", b);
        std::fputc('\n', tickets_);
        std::fflush(tickets_);
    }

private:
    std::FILE* log_;
    std::FILE* tickets_;
    std::string only_;
    long flip_, replay_, cut_;
    std::optional<burrow::proto::PeerKey> accept_key_;
    long seen_ = 0;  // client -> endpoint bytes of the streams altered, so far
};

}  // namespace

int main(int argc, char** argv) {
    const char* log_path = std::getenv("BURROW_TAP_LOG");
    const char* target_env = std::getenv("BURROW_TAP_TARGET");
    std::optional<burrow::proto::PeerKey> accept_key;
    if (const char* fake = std::getenv("BURROW_TAP_ACCEPT_KEY")) {
        const auto key = burrow::crypto::PublicKey::parse(fake);
        if (!key) {
            std::fprintf(stderr, "BURROW_TAP_ACCEPT_KEY: not a key\n");
            return 2;
        }
        accept_key = key->bytes;
    }
    const char* tickets_path = std::getenv("BURROW_TAP_TICKETS");
    auto tap = std::make_shared<Tap>(log_path ? std::fopen(log_path, "ab") : nullptr,
                                     tickets_path ? std::fopen(tickets_path, "a") : nullptr,
                                     target_env ? target_env : "", env_long("BURROW_TAP_FLIP"),
                                     env_long("BURROW_TAP_REPLAY"), env_long("BURROW_TAP_CUT"), accept_key);
    return burrow::app::main(argc, argv, std::move(tap));
}
