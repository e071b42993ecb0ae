// How a connection becomes a session: admission, the TLS handshake, the
// first frame (a new session or a resumption) and the per-key session limit.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "io/deadline.hpp"
#include "io/session.hpp"
#include "io/spawn.hpp"
#include "io/tls_stream.hpp"
#include "relay/relay.hpp"
#include "relay/relay_peer.hpp"

namespace burrow::relay {

using proto::Errc;

namespace {

constexpr const char* kEvicted = "ended to make room for newer connections";

// " (N more since the last such line)", or nothing.
std::string held_back_note(std::uint64_t held_back) {
    return held_back == 0 ? std::string() : " (" + std::to_string(held_back) + " more since the last such line)";
}

}  // namespace

io::awaitable<void> Relay::accept_loop() {
    while (acceptor_.is_open()) {
        io::error_code ec;
        io::tcp::socket socket = co_await acceptor_.async_accept(io::redirect_error(io::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) {
            spdlog::warn("relay: accept failed: {}", ec.message());  // out of descriptors, say: breathe
            asio::steady_timer pause(ex_, std::chrono::milliseconds(100));
            co_await pause.async_wait(io::redirect_error(io::use_awaitable, ec));
            continue;
        }
        const auto remote = socket.remote_endpoint(ec);
        if (ec) continue;
        std::string source = remote.address().to_string();
        const auto now = std::chrono::steady_clock::now();
        const auto slot = admission_.admit(source, now);
        for (const auto id : slot.evicted) evict(id);
        if (!slot.evicted.empty() || slot.id == 0) {
            counters_.refused(Refusal::handshake_limit, std::max<std::size_t>(slot.evicted.size(), 1));
            if (std::uint64_t held = 0; evictions_log_.allow(now, held))
                spdlog::warn("relay: busy: {} connections waiting to authenticate ({} from strangers); {}{}",
                             admission_.pending(), admission_.pending_strangers(),
                             slot.id == 0 ? "refused one from " + source
                                          : "ended the oldest to admit one from " + source,
                             held_back_note(held));
        }
        if (slot.id == 0) {
            io::refuse_busy(socket);
            continue;
        }
        handshakes_[slot.id] = std::make_shared<io::HandshakeStop>();
        io::spawn(ex_, authenticate(std::move(socket), source, slot.id, now), "relay: connection from " + source, {},
                  spdlog::level::warn);
    }
}

void Relay::evict(Admission::Id slot) {
    const auto it = handshakes_.find(slot);
    if (it == handshakes_.end()) return;
    const auto ending = std::move(it->second);
    handshakes_.erase(it);  // the handshake sees it is gone: evicted
    if (ending->busy) ending->busy();
}

io::awaitable<void> Relay::authenticate(io::tcp::socket socket, std::string source, Admission::Id slot,
                                        std::chrono::steady_clock::time_point accepted) {
    auto self = shared_from_this();
    const auto pending = handshakes_.find(slot);
    if (pending == handshakes_.end()) {  // evicted before it started
        io::refuse_busy(socket);
        spdlog::debug("relay: connection from {} failed: {}", source, kEvicted);
        co_return;
    }
    const auto ending = pending->second;  // evict() may erase the map's copy
    // Gives the slot back, on every way out; says whether it was taken away (evicted).
    struct Slot {
        Relay& relay;
        Admission::Id id;
        bool held = true;
        bool release() {
            if (!held) return false;
            held = false;
            const bool evicted = relay.handshakes_.erase(id) == 0;
            relay.admission_.finished(id);
            return evicted;
        }
        ~Slot() { release(); }
    } held_slot{*this, slot};
    // The peer's first bytes come within first_bytes_timeout, or the slot goes.
    {
        ending->busy = [&socket] { io::refuse_busy(socket); };
        io::error_code ec;
        const auto remote = socket.remote_endpoint(ec);
        const std::string peer = ec ? source : io::to_string(remote);
        io::Deadline first(ex_, options_.limits.first_bytes_timeout, [&socket] {
            io::error_code ignored;
            socket.close(ignored);
        });
        co_await socket.async_wait(io::tcp::socket::wait_read, io::redirect_error(io::use_awaitable, ec));
        first.disarm();
        ending->busy = nullptr;
        if (ec || !socket.is_open()) {
            const bool evicted = held_slot.release();
            counters_.failed(HandshakeFailure::tls);
            const auto waited = std::chrono::duration_cast<std::chrono::seconds>(options_.limits.first_bytes_timeout);
            spdlog::debug("relay: connection from {} failed: {}", source,
                          evicted           ? kEvicted
                          : first.expired() ? "TLS handshake with " + peer + " timed out: it sent nothing for " +
                                                  std::to_string(waited.count()) + " s"
                                            : ec.message());
            co_return;
        }
    }
    io::TlsResult tls;
    std::string failure;
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - accepted);
    try {
        tls = co_await io::tls_handshake(*tls_, std::move(socket),
                                         std::max(options_.limits.handshake_timeout - elapsed, std::chrono::milliseconds(1)),
                                         ending.get());
    } catch (const std::exception& e) {
        failure = e.what();
    }
    if (held_slot.release() && failure.empty()) failure = kEvicted;
    if (!failure.empty()) {
        counters_.failed(HandshakeFailure::tls);
        spdlog::debug("relay: connection from {} failed: {}", source, failure);
        co_return;
    }
    const auto key = tls.peer_key;
    const bool known = options_.policy.knows(key);
    if (known) admission_.seen(source, std::chrono::steady_clock::now());  // its next connections find room
    io::Opening opening;
    if (known) {
        // The first frame says whether this is a new session or a broken one coming back.
        io::Deadline deadline(ex_, options_.limits.handshake_timeout, [t = tls.stream.get()] { t->close(); });
        try {
            opening = co_await io::read_opening(*tls.stream);
        } catch (const std::exception& e) {
            counters_.failed(HandshakeFailure::no_first_frame);
            spdlog::debug("relay: {} went away before its first frame: {}", source, e.what());
            co_return;
        }
        deadline.disarm();
        if (opening.resume) {
            co_await resume(std::move(tls.stream), *opening.resume, key, source);
            co_return;
        }
    }
    auto peer = known ? std::make_shared<Peer>(weak_from_this(), key, options_.limits) : nullptr;
    auto session = std::make_shared<io::Session>(ex_, std::move(tls.stream), proto::Role::acceptor, options_.mux,
                                                 peer, io::Liveness{}, std::move(opening.bytes));
    if (!known) {
        counters_.refused(Refusal::unknown_key);
        if (std::uint64_t held = 0; strangers_log_.allow(std::chrono::steady_clock::now(), held))
            spdlog::warn("relay: refused {} from {}: key not in this relay's config{}", key.fingerprint(), source,
                         held_back_note(held));
        session->goaway(Errc::not_authorized,
                        "key " + key.fingerprint() + " is not allowed on this relay: add it to the relay config");
        session->start();
        session->close("unknown key");
        co_return;
    }
    if (std::string refusal; !admit_session(key, refusal)) {
        counters_.refused(Refusal::session_limit);
        spdlog::warn("relay: refused a session from {} ({}): {}", source, key.fingerprint(), refusal);
        session->goaway(Errc::overloaded, refusal);
        session->start();
        session->close("too many sessions");
        co_return;
    }
    spdlog::info("relay: session from {} authenticated as {}", source, options_.policy.describe(key));
    peer->id = sessions_.add(session, key, unix_now());
    ++counters_.sessions_total;
    session->start();
}

io::awaitable<void> Relay::resume(std::unique_ptr<io::ByteStream> transport, proto::ResumeRequest request,
                                  crypto::PublicKey key, std::string source) {
    const auto id = tickets_.redeem(request.ticket, key);
    auto session = id ? sessions_.session(*id) : nullptr;
    if (!session || session->closed()) {
        counters_.refused(Refusal::resume_refused);
        spdlog::info("relay: {} ({}) asked to resume a session this relay does not have", source, key.fingerprint());
        co_await transport->write_all(proto::encode_resume_refusal(
            Errc::session_closed, "no such session (the relay restarted, or it expired)"));
        transport->close();
        co_return;
    }
    if (!session->suspended()) session->transport_lost("the peer came back on a new connection");  // half-open
    if (!session->resume(std::move(transport), request.received, proto::encode_resumed(session->received_total())))
        co_return;
    registry_.set_address(*id, source);
    ++counters_.resumes;
    spdlog::info("relay: session of {} resumed from {}", options_.policy.describe(key), source);
}

bool Relay::admit_session(const crypto::PublicKey& key, std::string& refusal) {
    std::vector<std::shared_ptr<io::Session>> sessions;  // oldest first
    for (const auto id : sessions_.of_key(key))
        if (auto s = sessions_.session(id); s && !s->closed()) sessions.push_back(std::move(s));
    if (sessions.size() < options_.limits.max_sessions_per_key) return true;
    // A suspended one is likeliest gone for good (its peer started afresh): the oldest goes.
    const auto it = std::find_if(sessions.begin(), sessions.end(), [](const auto& s) { return s->suspended(); });
    if (it != sessions.end()) {
        const auto oldest = *it;
        spdlog::info("relay: closing suspended session {} of {}: the key opened a new one and has {} already",
                     oldest->peer(), key.fingerprint(), sessions.size());
        oldest->close("replaced by a newer session of the same key (max_sessions_per_key)");
        return true;
    }
    refusal = "key " + key.fingerprint() + " already has " + std::to_string(sessions.size()) +
              " sessions on this relay (max_sessions_per_key); close one or raise the limit in the relay config";
    return false;
}

}  // namespace burrow::relay
