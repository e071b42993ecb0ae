// Where a new stream goes: spliced to its endpoint, held while that
// endpoint's session is suspended, or rejected with the reason; and the
// streams of public ports, which the relay opens itself.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "io/e2e_codec.hpp"
#include "io/session.hpp"
#include "io/stream_pump.hpp"
#include "relay/relay.hpp"
#include "relay/relay_peer.hpp"
#include "relay/splice.hpp"

namespace burrow::relay {

using proto::Errc;

void Relay::on_open(SessionId from_id, Peer& peer, proto::StreamId id, const std::string& target) {
    const auto from = sessions_.session(from_id);
    if (!from) return;
    std::string name, service;
    if (!proto::parse_target(target, name, service)) {
        counters_.refused(Refusal::bad_target);
        from->reject(id, Errc::bad_target, "'" + target + "' is not of the form endpoint/service");
        return;
    }
    if (!peer.opens.take(TokenBucket::Clock::now())) {
        counters_.refused(Refusal::rate_limit);
        spdlog::warn("stream {} from {}: refused: opening streams too fast", target, from->peer());
        from->reject(id, Errc::overloaded, "too many new streams per second; slow down");
        return;
    }
    route(from_id, peer.key, id, target);
}

// Splices a new stream (its target well formed) to its endpoint, holds it
// while that endpoint's session is suspended, or rejects it.
void Relay::route(SessionId from_id, const crypto::PublicKey& client, proto::StreamId id, const std::string& target) {
    const auto from = sessions_.session(from_id);
    if (!from) return;
    std::string name, service;
    proto::parse_target(target, name, service);
    if (!options_.policy.may_open(client, target)) {
        counters_.refused(Refusal::not_granted);
        spdlog::warn("stream {} from {}: refused: {} is not granted it", target, from->peer(),
                     options_.policy.describe(client));
        from->reject(id, Errc::not_authorized,
                     "key " + client.fingerprint() + " is not allowed to open '" + target + "' on this relay");
        return;
    }
    const Registry::Entry* entry = registry_.find(name);
    if (!entry && registry_.suspended(name)) {
        hold(from_id, client, id, target, name);
        return;
    }
    const auto* endpoint_record = entry ? sessions_.find(entry->session) : nullptr;
    auto endpoint = endpoint_record ? endpoint_record->session.lock() : nullptr;
    if (!endpoint || endpoint->closed()) {
        counters_.refused(Refusal::no_endpoint);
        spdlog::info("stream {} from {}: no such endpoint online", target, from->peer());
        from->reject(id, Errc::unknown_endpoint, "no endpoint named '" + name + "' is online");
        return;
    }
    if (!std::binary_search(entry->services.begin(), entry->services.end(), service)) {
        counters_.refused(Refusal::no_service);
        spdlog::info("stream {} from {}: no such service", target, from->peer());
        from->reject(id, Errc::unknown_service, "endpoint '" + name + "' has no service '" + service + "'");
        return;
    }
    const proto::StreamId out = endpoint->mux().open(target, client.bytes);
    if (out == 0) {
        from->reject(id, Errc::going_away, "endpoint '" + name + "' is not taking new streams");
        return;
    }
    std::vector<std::shared_ptr<Traffic>> counted{totals_, endpoint_record->traffic};
    if (const auto* c = sessions_.find(from_id)) counted.push_back(c->traffic);
    spdlog::debug("stream {} from {}: spliced to {}", target, from->peer(), endpoint->peer());
    auto splice = Splice::start(from, id, endpoint, out, target, endpoint_record->key.bytes, std::move(counted),
                                options_.splice_observer);
    if (spliced_.size() >= 64 && spliced_.size() >= 2 * spliced_capacity_) {
        std::erase_if(spliced_, [](const Spliced& s) { return s.splice.expired(); });
        spliced_capacity_ = spliced_.size();
    }
    spliced_.push_back(Spliced{splice, client, target});
}

void Relay::hold(SessionId from, const crypto::PublicKey& client, proto::StreamId id, const std::string& target,
                 const std::string& endpoint) {
    if (const auto s = sessions_.session(from))
        spdlog::info("stream {} from {}: endpoint '{}' is reconnecting; the stream waits for it", target, s->peer(),
                     endpoint);
    if (held_.hold(from, client, id, target, endpoint, std::chrono::steady_clock::now())) arm_held_timer();
}

void Relay::arm_held_timer() {
    const auto next = held_.next_expiry();
    if (!next) return;
    held_timer_.expires_at(*next);
    held_timer_.async_wait([weak = weak_from_this()](io::error_code ec) {
        if (auto self = weak.lock(); self && !ec) self->expire_held();
    });
}

// The endpoint is back (resumed, or registered anew) or gone for good: route its held streams again.
void Relay::release_held(const std::string& endpoint) {
    for (const auto& h : held_.release(endpoint)) {
        const auto from = sessions_.session(h.from);
        if (!from || from->closed() || !from->mux().stream_exists(h.id)) continue;  // the client gave up
        route(h.from, h.client, h.id, h.target);
        from->flush();
    }
}

void Relay::expire_held() {
    const auto wait = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(held_.wait()).count());
    for (const auto& h : held_.expire(std::chrono::steady_clock::now())) {
        const auto from = sessions_.session(h.from);
        if (!from || from->closed() || !from->mux().stream_exists(h.id)) continue;
        counters_.refused(Refusal::no_endpoint);
        spdlog::info("stream {} from {}: endpoint '{}' did not come back in time", h.target, from->peer(), h.endpoint);
        from->reject(h.id, Errc::unknown_endpoint,
                     "endpoint '" + h.endpoint + "' is offline: its connection broke and it did not come back within " +
                         wait + " s");
    }
    arm_held_timer();
}

// A connection to a public port: the relay opens the stream as a client of
// its own (its key in OPEN, its end of the end-to-end handshake), so this
// path is encrypted from the relay to the endpoint, not from the user.
void Relay::open_exposed(io::tcp::socket socket, const ExposeRule& rule) {
    auto local = std::make_unique<io::TcpByteStream>(std::move(socket));
    const std::string from = local->describe();
    std::string name, service;
    proto::parse_target(rule.target, name, service);
    const auto* entry = registry_.find(name);
    const auto* record = entry ? sessions_.find(entry->session) : nullptr;
    auto endpoint = record ? record->session.lock() : nullptr;
    if (!endpoint || endpoint->closed()) {
        spdlog::warn("relay: {}: connection from {} reset: endpoint '{}' is not online", rule.describe(), from, name);
        local->reset();
        return;
    }
    const proto::StreamId id = endpoint->mux().open(rule.target, identity_.public_key().bytes);
    if (id == 0) {
        local->reset();
        return;
    }
    spdlog::info("relay: {}: connection from {}", rule.describe(), from);
    auto pump = std::make_shared<io::StreamPump>(endpoint, id, std::move(local), [rule, from](const io::PumpError& err) {
        if (err) spdlog::info("relay: {}: connection from {} ended: {}", rule.describe(), from, err.message());
    });
    pump->set_codec_factory([weak = weak_from_this(), target = rule.target, endpoint_key = record->key](
                                const std::optional<proto::PeerKey>&, std::string& error) -> std::unique_ptr<io::StreamCodec> {
        const auto self = weak.lock();
        if (!self) {
            error = "the relay is stopping";
            return nullptr;
        }
        return io::make_e2e_codec(crypto::E2eHandshake::client(self->identity_, endpoint_key, target));
    });
    pump->start(false);
    endpoint->flush();
}

}  // namespace burrow::relay
