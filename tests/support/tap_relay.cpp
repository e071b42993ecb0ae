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
#include <string>

#include "app/cli.hpp"
#include "relay/relay.hpp"
#include "relay/splice.hpp"

namespace {

long env_long(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::atol(v) : -1;
}

}  // namespace

int main(int argc, char** argv) {
    const char* log_path = std::getenv("BURROW_TAP_LOG");
    const char* target_env = std::getenv("BURROW_TAP_TARGET");
    const std::string only = target_env ? target_env : "";
    const long flip = env_long("BURROW_TAP_FLIP");
    const long replay = env_long("BURROW_TAP_REPLAY");
    const long cut = env_long("BURROW_TAP_CUT");
    std::FILE* log = log_path ? std::fopen(log_path, "ab") : nullptr;
    burrow::relay::set_splice_tap([=, seen = 0L](const std::string& target, int side,
                                                  std::vector<std::uint8_t>& bytes) mutable {
        if (log) {
            std::fwrite(bytes.data(), 1, bytes.size(), log);
            std::fflush(log);
        }
        if (side != 0 || (!only.empty() && target != only)) return;
        const long begin = seen;
        seen += static_cast<long>(bytes.size());
        if (flip >= begin && flip < seen) bytes[static_cast<std::size_t>(flip - begin)] ^= 1;
        if (cut >= 0 && cut < seen) bytes.resize(static_cast<std::size_t>(std::max(0L, cut - begin)));
        if (replay >= begin && replay < seen) {
            const std::vector<std::uint8_t> copy = bytes;
            bytes.insert(bytes.end(), copy.begin(), copy.end());
        }
    });
    if (const char* tickets_path = std::getenv("BURROW_TAP_TICKETS")) {
        std::FILE* tickets = std::fopen(tickets_path, "a");
        burrow::relay::set_ticket_tap([tickets](const burrow::proto::ResumeTicket& t) {
            if (!tickets) return;
            for (const auto b : t.id) std::fprintf(tickets, "%02x", b);
            std::fputc(' ', tickets);
            for (const auto b : t.secret) std::fprintf(tickets, "%02x", b);
            std::fputc('\n', tickets);
            std::fflush(tickets);
        });
    }
    if (const char* fake = std::getenv("BURROW_TAP_ACCEPT_KEY")) {
        const auto key = burrow::crypto::PublicKey::parse(fake);
        if (!key) {
            std::fprintf(stderr, "BURROW_TAP_ACCEPT_KEY: not a key\n");
            return 2;
        }
        burrow::relay::set_accept_tap([k = *key](const std::string&, burrow::proto::PeerKey& named) { named = k.bytes; });
    }
    return burrow::app::main(argc, argv);
}
