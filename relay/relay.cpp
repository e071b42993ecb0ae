#include "relay/relay.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "io/deadline.hpp"
#include "io/e2e_codec.hpp"
#include "io/session.hpp"
#include "io/spawn.hpp"
#include "io/stream_pump.hpp"
#include "io/tls_stream.hpp"
#include "relay/splice.hpp"
#include "relay/target_check.hpp"
#include "relay/token_bucket.hpp"

namespace burrow::relay {

using proto::Errc;

namespace {

// "1.2.3.4" of "1.2.3.4:5678", "::1" of "[::1]:5678".
std::string host_of(const std::string& address) {
    const auto colon = address.rfind(':');
    std::string host = colon == std::string::npos ? address : address.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return host;
}

AdmissionLimits admission_limits(const RelayLimits& limits) {
    AdmissionLimits a;
    a.max_pending = limits.max_unauthenticated;
    a.max_pending_per_source = limits.max_unauthenticated_per_source;
    a.reserved_for_known = limits.reserved_for_known_sources;
    return a;
}

// " (N more since the last such line)", or nothing.
std::string held_back_note(std::uint64_t held_back) {
    return held_back == 0 ? std::string() : " (" + std::to_string(held_back) + " more since the last such line)";
}

// How long a new stream waits for its endpoint when that endpoint's session is
// suspended: long enough for an endpoint that notices the break only at its
// next PING (5 s) to dial again and resume (docs/PROTOCOL.md §3.6).
constexpr auto kHoldForSuspendedEndpoint = std::chrono::seconds(10);

}  // namespace

class Relay::Peer final : public io::SessionHandler {
public:
    Peer(std::weak_ptr<Relay> relay, crypto::PublicKey key, const RelayLimits& limits)
        : relay_(std::move(relay)), key(key), opens(limits.stream_opens_per_second, limits.stream_open_burst) {}
    void on_stream_opened(io::Session& s, proto::StreamId id, const std::string& target,
                          const std::optional<proto::PeerKey>&) override {
        if (auto r = relay_.lock()) r->on_open(s.shared_from_this(), *this, id, target);
    }
    void on_control(io::Session& s, proto::ControlMessage&& msg) override {
        if (auto r = relay_.lock()) r->on_control(s.shared_from_this(), *this, std::move(msg));
    }
    void on_ready(io::Session& s) override {
        if (auto r = relay_.lock()) r->on_ready(s, *this);
    }
    void on_suspended(io::Session& s, const std::string&) override {
        if (auto r = relay_.lock()) r->on_suspended(s);
    }
    void on_resumed(io::Session& s) override {
        if (auto r = relay_.lock()) r->on_resumed(s);
    }
    void on_closed(io::Session& s, const std::string& why) override {
        spdlog::info("session {} ({}) ended: {}", s.peer(), key.fingerprint(), why);
        if (auto r = relay_.lock()) r->on_closed(s);
    }

    std::weak_ptr<Relay> relay_;
    crypto::PublicKey key;
    TokenBucket opens;
};

Relay::Relay(asio::any_io_executor ex, RelayOptions options, crypto::Identity identity)
    : ex_(std::move(ex)),
      options_(std::move(options)),
      identity_(std::move(identity)),
      tls_(std::make_unique<io::TlsContext>(identity_, true)),
      acceptor_(ex_),
      wake_book_(options_.state_file),
      exposed_(ex_, [this](io::tcp::socket socket, const ExposeRule& rule) { open_exposed(std::move(socket), rule); }),
      held_timer_(ex_),
      admission_(admission_limits(options_.limits)),
      started_(unix_now()) {
    wake_book_.configure(options_.wake);
}

Relay::~Relay() = default;

void Relay::start() {
    acceptor_ = io::listen_tcp(ex_, options_.listen);
    const auto ep = acceptor_.local_endpoint();
    bound_ = io::HostPort{ep.address().to_string(), ep.port()};
    if (const auto failure = exposed_.apply(options_.expose); !failure.empty()) throw std::runtime_error(failure);
    io::spawn(ex_, [self = shared_from_this()] { return self->accept_loop(); }, "relay: accept loop ended");
}

void Relay::stop() {
    io::error_code ignored;
    acceptor_.close(ignored);
    exposed_.close_all();
    closing_.clear();  // close() erases from live_
    for (auto& [ptr, live] : live_)
        if (auto s = live.session.lock()) closing_.push_back(std::move(s));
    for (auto& s : closing_) s->close("relay stopping");
}

bool Relay::finished() const {
    return std::all_of(closing_.begin(), closing_.end(), [](const auto& s) { return s->finished(); });
}

void Relay::drain() {
    io::error_code ignored;
    acceptor_.close(ignored);
    exposed_.close_all();
    draining_ = true;
    // With the listener closed, a suspended session can never resume: its streams end now.
    std::vector<std::shared_ptr<io::Session>> suspended;
    for (auto& [ptr, s] : suspended_) suspended.push_back(s);
    for (auto& s : suspended) s->close("the relay is shutting down");
    for (auto& [ptr, live] : live_)
        if (auto s = live.session.lock()) {
            s->mux().goaway(Errc::going_away, "the relay is shutting down");
            s->flush();
        }
}

// A suspended session is not waited for: its peer may never come back.
bool Relay::idle() const {
    for (const auto& [ptr, live] : live_)
        if (auto s = live.session.lock(); s && !s->closed() && !s->suspended() && s->mux().stream_count() > 0)
            return false;
    return true;
}

std::size_t Relay::reload(RelayOptions options, std::string* expose_failure) {
    const auto failure = exposed_.apply(options.expose);
    if (!failure.empty()) spdlog::error("relay: {}", failure);
    if (expose_failure) *expose_failure = failure;
    options_.expose = std::move(options.expose);
    options_.policy = std::move(options.policy);
    options_.wake = std::move(options.wake);
    wake_book_.configure(options_.wake);
    options_.limits = options.limits;
    admission_.set_limits(admission_limits(options_.limits));
    options_.mux = options.mux;
    std::vector<std::shared_ptr<io::Session>> revoked;
    for (auto& [ptr, live] : live_) {
        auto s = live.session.lock();
        if (s && !options_.policy.knows(live.key)) revoked.push_back(s);
    }
    // Suspended sessions too: what they may no longer do is refused before they resume.
    for (const auto& [name, entry] : registry_.entries()) {
        auto s = entry.session.lock();
        const auto it = s ? live_.find(s.get()) : live_.end();
        if (it != live_.end() && !s->closed() && !options_.policy.may_register(it->second.key, name))
            revoked.push_back(s);
    }
    std::sort(revoked.begin(), revoked.end());
    revoked.erase(std::unique(revoked.begin(), revoked.end()), revoked.end());
    for (auto& s : revoked) {
        spdlog::warn("reload: closing session {}: its key is no longer allowed", s->peer());
        s->mux().goaway(Errc::not_authorized, "your key was revoked on this relay");
        s->close("key revoked");
    }
    const std::size_t streams = revoke_streams();
    spdlog::info("relay: configuration reloaded ({} session(s) and {} stream(s) closed)", revoked.size(), streams);
    return revoked.size();
}

std::size_t Relay::revoke_streams() {
    std::vector<std::pair<std::shared_ptr<Splice>, std::string>> cut;
    std::erase_if(spliced_, [&](const Spliced& s) {
        auto splice = s.splice.lock();
        if (!splice) return true;
        if (options_.policy.may_open(s.client, s.target)) return false;
        cut.emplace_back(std::move(splice), "key " + s.client.fingerprint() + " may no longer open '" + s.target +
                                                 "' on this relay (configuration reloaded)");
        return true;
    });
    spliced_capacity_ = spliced_.size();
    for (auto& [splice, why] : cut) {
        spdlog::warn("reload: closing a stream: {}", why);
        splice->revoke(Errc::not_authorized, why);
    }
    return cut.size();
}

std::vector<OnlineEndpoint> Relay::online_endpoints() const {
    std::vector<OnlineEndpoint> online;
    for (auto& info : registry_.list()) {
        const auto* entry = registry_.find(info.name);
        const auto session = entry ? entry->session.lock() : nullptr;
        online.push_back({std::move(info), entry ? entry->since : 0, session ? host_of(session->peer()) : "",
                          entry ? entry->candidates : std::vector<std::string>{}});
    }
    return online;
}

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
        io::spawn(ex_, authenticate(std::move(socket), source, slot.id), "relay: connection from " + source, {},
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

io::awaitable<void> Relay::authenticate(io::tcp::socket socket, std::string source, Admission::Id slot) {
    auto self = shared_from_this();
    const auto accepted = std::chrono::steady_clock::now();
    const auto pending = handshakes_.find(slot);
    if (pending == handshakes_.end()) {  // evicted before it started
        io::refuse_busy(socket);
        spdlog::debug("relay: connection from {} failed: ended to make room for newer connections", source);
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
                          evicted           ? "ended to make room for newer connections"
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
    if (held_slot.release() && failure.empty()) failure = "ended to make room for newer connections";
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
        session->mux().goaway(Errc::not_authorized, "key " + key.fingerprint() +
                                                        " is not allowed on this relay: add it to the relay config");
        session->start();
        session->close("unknown key");
        co_return;
    }
    if (std::string refusal; !admit_session(key, refusal)) {
        counters_.refused(Refusal::session_limit);
        spdlog::warn("relay: refused a session from {} ({}): {}", source, key.fingerprint(), refusal);
        session->mux().goaway(Errc::overloaded, refusal);
        session->start();
        session->close("too many sessions");
        co_return;
    }
    spdlog::info("relay: session from {} authenticated as {}", source, options_.policy.describe(key));
    live_[session.get()] = Live{session, key, unix_now()};
    ++counters_.sessions_total;
    session->start();
}

io::awaitable<void> Relay::resume(std::unique_ptr<io::ByteStream> transport, proto::ResumeRequest request,
                                  crypto::PublicKey key, std::string source) {
    const auto it = resumable_.find(request.ticket.id);
    auto session = it != resumable_.end() ? it->second.session.lock() : nullptr;
    // The ticket is a bearer secret, and only good for the key that got it.
    const bool valid = session && !session->closed() && session->ticket() && it->second.key == key &&
                       sodium_memcmp(session->ticket()->secret.data(), request.ticket.secret.data(),
                                     request.ticket.secret.size()) == 0;
    if (!valid) {
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
    ++counters_.resumes;
    spdlog::info("relay: session of {} resumed from {}", options_.policy.describe(key), source);
}

bool Relay::admit_session(const crypto::PublicKey& key, std::string& refusal) {
    std::vector<std::shared_ptr<io::Session>> sessions;
    for (const auto& [ptr, live] : live_)
        if (auto s = live.session.lock(); s && !s->closed() && live.key == key) sessions.push_back(std::move(s));
    if (sessions.size() < options_.limits.max_sessions_per_key) return true;
    // A suspended one is likeliest gone for good (its peer started afresh): the oldest goes.
    std::shared_ptr<io::Session> oldest;
    std::int64_t oldest_since = 0;
    for (const auto& s : sessions) {
        const auto since = live_.at(s.get()).since;
        if (s->suspended() && (!oldest || since < oldest_since)) {
            oldest = s;
            oldest_since = since;
        }
    }
    if (oldest) {
        spdlog::info("relay: closing suspended session {} of {}: the key opened a new one and has {} already",
                     oldest->peer(), key.fingerprint(), sessions.size());
        oldest->close("replaced by a newer session of the same key (max_sessions_per_key)");
        return true;
    }
    refusal = "key " + key.fingerprint() + " already has " + std::to_string(sessions.size()) +
              " sessions on this relay (max_sessions_per_key); close one or raise the limit in the relay config";
    return false;
}

void Relay::on_open(const std::shared_ptr<io::Session>& from, Peer& peer, proto::StreamId id,
                    const std::string& target) {
    auto& mux = from->mux();
    std::string name, service;
    if (!proto::parse_target(target, name, service)) {
        counters_.refused(Refusal::bad_target);
        mux.reject(id, Errc::bad_target, "'" + target + "' is not of the form endpoint/service");
        return;
    }
    if (!peer.opens.take(TokenBucket::Clock::now())) {
        counters_.refused(Refusal::rate_limit);
        spdlog::warn("stream {} from {}: refused: opening streams too fast", target, from->peer());
        mux.reject(id, Errc::overloaded, "too many new streams per second; slow down");
        return;
    }
    route(from, peer.key, id, target);
}

// Splices a new stream (its target well formed) to its endpoint, holds it
// while that endpoint's session is suspended, or rejects it.
void Relay::route(const std::shared_ptr<io::Session>& from, const crypto::PublicKey& client, proto::StreamId id,
                  const std::string& target) {
    auto& mux = from->mux();
    std::string name, service;
    proto::parse_target(target, name, service);
    if (!options_.policy.may_open(client, target)) {
        counters_.refused(Refusal::not_granted);
        spdlog::warn("stream {} from {}: refused: {} is not granted it", target, from->peer(),
                     options_.policy.describe(client));
        mux.reject(id, Errc::not_authorized,
                   "key " + client.fingerprint() + " is not allowed to open '" + target + "' on this relay");
        return;
    }
    const Registry::Entry* entry = registry_.find(name);
    if (!entry && registry_.suspended(name)) {
        hold(from, client, id, target, name);
        return;
    }
    if (!entry) {
        counters_.refused(Refusal::no_endpoint);
        spdlog::info("stream {} from {}: no such endpoint online", target, from->peer());
        mux.reject(id, Errc::unknown_endpoint, "no endpoint named '" + name + "' is online");
        return;
    }
    if (!std::binary_search(entry->services.begin(), entry->services.end(), service)) {
        counters_.refused(Refusal::no_service);
        spdlog::info("stream {} from {}: no such service", target, from->peer());
        mux.reject(id, Errc::unknown_service, "endpoint '" + name + "' has no service '" + service + "'");
        return;
    }
    auto endpoint = entry->session.lock();
    const proto::StreamId out = endpoint->mux().open(target, client.bytes);
    if (out == 0) {
        mux.reject(id, Errc::going_away, "endpoint '" + name + "' is not taking new streams");
        return;
    }
    const auto it = live_.find(endpoint.get());
    const crypto::PublicKey endpoint_key = it != live_.end() ? it->second.key : crypto::PublicKey{};
    std::vector<std::shared_ptr<Traffic>> counted{totals_};
    if (it != live_.end()) counted.push_back(it->second.traffic);
    if (const auto c = live_.find(from.get()); c != live_.end()) counted.push_back(c->second.traffic);
    spdlog::debug("stream {} from {}: spliced to {}", target, from->peer(), endpoint->peer());
    auto splice = Splice::start(from, id, endpoint, out, target, endpoint_key.bytes, std::move(counted),
                                options_.splice_observer);
    if (spliced_.size() >= 64 && spliced_.size() >= 2 * spliced_capacity_) {
        std::erase_if(spliced_, [](const Spliced& s) { return s.splice.expired(); });
        spliced_capacity_ = spliced_.size();
    }
    spliced_.push_back(Spliced{splice, client, target});
}

void Relay::hold(const std::shared_ptr<io::Session>& from, const crypto::PublicKey& client, proto::StreamId id,
                 const std::string& target, const std::string& endpoint) {
    spdlog::info("stream {} from {}: endpoint '{}' is reconnecting; the stream waits for it", target, from->peer(),
                 endpoint);
    held_.push_back(Held{from, client, id, target, endpoint,
                         std::chrono::steady_clock::now() + kHoldForSuspendedEndpoint});
    if (held_.size() == 1) arm_held_timer();  // else it is set for an older one
}

void Relay::arm_held_timer() {
    held_timer_.expires_at(held_.front().until);
    held_timer_.async_wait([weak = weak_from_this()](io::error_code ec) {
        if (auto self = weak.lock(); self && !ec) self->expire_held();
    });
}

// The endpoint is back (resumed, or registered anew) or gone for good: route its held streams again.
void Relay::release_held(const std::string& endpoint) {
    std::vector<Held> waiting;
    for (auto it = held_.begin(); it != held_.end();) {
        if (it->endpoint != endpoint) {
            ++it;
            continue;
        }
        waiting.push_back(std::move(*it));
        it = held_.erase(it);
    }
    for (const auto& h : waiting) {
        auto from = h.from.lock();
        if (!from || from->closed() || !from->mux().stream_exists(h.id)) continue;  // the client gave up
        route(from, h.client, h.id, h.target);
        from->flush();
    }
}

void Relay::expire_held() {
    const auto now = std::chrono::steady_clock::now();
    while (!held_.empty() && held_.front().until <= now) {
        const Held h = std::move(held_.front());
        held_.pop_front();
        auto from = h.from.lock();
        if (!from || from->closed() || !from->mux().stream_exists(h.id)) continue;
        counters_.refused(Refusal::no_endpoint);
        spdlog::info("stream {} from {}: endpoint '{}' did not come back in time", h.target, from->peer(), h.endpoint);
        const auto wait = std::to_string(kHoldForSuspendedEndpoint.count());
        from->mux().reject(h.id, Errc::unknown_endpoint,
                           "endpoint '" + h.endpoint +
                               "' is offline: its connection broke and it did not come back within " + wait + " s");
        from->flush();
    }
    if (!held_.empty()) arm_held_timer();
}

void Relay::on_control(const std::shared_ptr<io::Session>& from, const Peer& peer, proto::ControlMessage&& msg) {
    if (auto* reg = std::get_if<proto::Register>(&msg)) {
        if (!options_.policy.may_register(peer.key, reg->name)) {
            counters_.refused(Refusal::register_denied);
            spdlog::warn("endpoint {} ({}) may not register as '{}'", from->peer(), peer.key.fingerprint(), reg->name);
            from->mux().send_control(proto::ControlError{
                Errc::not_authorized,
                "key " + peer.key.fingerprint() + " may not register as '" + reg->name + "' on this relay"});
        } else {
            // The policy binds a name to one key, so an older holder is this endpoint's stale session.
            if (auto old = registry_.add(reg->name, reg->services, from)) {
                spdlog::info("endpoint '{}' reconnected from {}: replacing its old session {}", reg->name,
                             from->peer(), old->peer());
                old->mux().goaway(Errc::name_in_use, "replaced by a newer session of the same endpoint");
                old->close("replaced by a newer session");
            }
            spdlog::info("endpoint '{}' online from {} with {} service(s)", reg->name, from->peer(),
                         reg->services.size());
            from->mux().send_control(proto::Registered{reg->name});
            release_held(reg->name);
        }
    } else if (std::holds_alternative<proto::ListRequest>(msg)) {
        auto visible = visible_endpoints(options_.policy, registry_.list(), peer.key);
        if (visible.size() > proto::kMaxListEntries) visible.resize(proto::kMaxListEntries);
        proto::ListReply reply{std::move(visible)};
        // One CONTROL frame must hold it.
        const std::size_t room = from->mux().peer_max_payload();
        while (!reply.endpoints.empty() && proto::encode_control(reply).size() > room) reply.endpoints.pop_back();
        from->mux().send_control(reply);
    } else if (const auto* check = std::get_if<proto::CheckRequest>(&msg)) {
        from->mux().send_control(check_targets(options_.policy, registry_.list(), peer.key, check->targets,
                                               from->mux().peer_max_payload()));
    } else if (auto* info = std::get_if<proto::LanInfo>(&msg)) {
        const auto now = unix_now();
        for (const auto& name : registry_.names_of(from.get()))
            if (const auto error = wake_book_.report(name, info->interfaces, host_of(from->peer()), now); !error.empty())
                spdlog::warn("relay: wake state {}: {}", wake_book_.state_file(), error);
    } else if (const auto* request = std::get_if<proto::WakeRequest>(&msg)) {
        wake(from, peer, request->endpoint);
    } else if (std::holds_alternative<proto::DetailsRequest>(msg)) {
        from->mux().send_control(
            endpoint_details(options_.policy, online_endpoints(), wake_book_, peer.key, from->mux().peer_max_payload()));
    } else if (auto* direct = std::get_if<proto::DirectInfo>(&msg)) {
        registry_.set_candidates(from.get(), direct->candidates);
        for (const auto& name : registry_.names_of(from.get()))
            spdlog::info("endpoint '{}': direct candidates {}", name,
                         direct->candidates.empty() ? std::string("withdrawn") : joined(direct->candidates, ", "));
    } else if (const auto* ask = std::get_if<proto::DirectRequest>(&msg)) {
        const auto online = online_endpoints();
        const auto it = std::find_if(online.begin(), online.end(), [&](const auto& o) { return o.info.name == ask->endpoint; });
        from->mux().send_control(
            direct_answer(options_.policy, ask->endpoint, it == online.end() ? nullptr : &*it, peer.key));
    } else {
        from->mux().send_control(proto::ControlError{Errc::protocol_error, "unexpected control message"});
    }
    from->flush();
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
    auto endpoint = entry ? entry->session.lock() : nullptr;
    const auto key = endpoint ? live_.find(endpoint.get()) : live_.end();
    if (!endpoint || key == live_.end()) {
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
    pump->set_codec_factory([weak = weak_from_this(), target = rule.target, endpoint_key = key->second.key](
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

// Asks an online endpoint on `name`'s LAN to send its magic packet.
void Relay::wake(const std::shared_ptr<io::Session>& from, const Peer& peer, const std::string& name) {
    if (!options_.policy.may_wake(peer.key, name)) {
        counters_.refused(Refusal::wake_denied);
        spdlog::warn("wake '{}' from {}: refused: {} may not wake it", name, from->peer(), options_.policy.describe(peer.key));
        from->mux().send_control(proto::ControlError{
            Errc::not_authorized, "key " + peer.key.fingerprint() + " may not wake '" + name + "' on this relay (it needs '" +
                                      name + "/*' in its allow list, or wake = [\"" + name + "\"])"});
        return;
    }
    std::vector<std::string> online;
    for (const auto& e : registry_.list()) online.push_back(e.name);
    const auto plan = wake_book_.plan(name, online);
    if (const auto* why = std::get_if<std::string>(&plan)) {
        spdlog::info("wake '{}' from {}: {}", name, from->peer(), *why);
        from->mux().send_control(proto::ControlError{Errc::unknown_endpoint, *why});
        return;
    }
    const auto& chosen = std::get<WakeBook::Plan>(plan);
    const auto* via = registry_.find(chosen.via);
    auto session = via ? via->session.lock() : nullptr;
    if (!session) {
        from->mux().send_control(proto::ControlError{Errc::unknown_endpoint, "endpoint '" + chosen.via + "' went offline"});
        return;
    }
    session->mux().send_control(chosen.order);
    session->flush();
    proto::MacAddress mac;
    std::copy(chosen.order.mac.begin(), chosen.order.mac.end(), mac.begin());
    spdlog::info("wake '{}' for {}: endpoint '{}' sends the packet for {}", name, options_.policy.describe(peer.key),
                 chosen.via, proto::format_mac(mac));
    from->mux().send_control(proto::WakeSent{chosen.via, chosen.order.mac});
}

namespace {
TicketTap& ticket_tap() {
    static TicketTap instance;
    return instance;
}
}  // namespace

void set_ticket_tap(TicketTap tap) { ticket_tap() = std::move(tap); }

void Relay::on_ready(io::Session& session, const Peer&) {
    proto::ResumeTicket ticket;
    randombytes_buf(ticket.id.data(), ticket.id.size());
    randombytes_buf(ticket.secret.data(), ticket.secret.size());
    if (ticket_tap()) ticket_tap()(ticket);
    const auto it = live_.find(&session);
    if (it == live_.end()) return;
    resumable_[ticket.id] = Resumable{it->second.session, it->second.key};
    session.enable_resume(ticket);
    session.mux().send_control(ticket);
    session.flush();
}

void Relay::on_suspended(io::Session& session) {
    if (draining_) {
        session.close("lost the connection while the relay is shutting down");
        return;
    }
    suspended_[&session] = session.shared_from_this();
    admission_.seen(host_of(session.peer()), std::chrono::steady_clock::now());  // room for it to resume
    for (const auto& e : registry_.names_of(&session))
        spdlog::info("endpoint '{}' offline: its connection broke; its streams wait for it to resume", e);
}

void Relay::on_resumed(io::Session& session) {
    suspended_.erase(&session);
    for (const auto& e : registry_.names_of(&session)) {
        spdlog::info("endpoint '{}' online again (resumed)", e);
        release_held(e);
    }
}

void Relay::on_closed(io::Session& session) {
    live_.erase(&session);
    suspended_.erase(&session);
    if (const auto& t = session.ticket()) resumable_.erase(t->id);
    const auto now = unix_now();
    for (const auto& name : registry_.remove_session(&session)) {
        spdlog::info("endpoint '{}' offline", name);
        if (const auto error = wake_book_.seen(name, now); !error.empty())
            spdlog::warn("relay: wake state {}: {}", wake_book_.state_file(), error);
        release_held(name);  // refused now: no endpoint of that name
    }
}

RelayStatus Relay::status() const {
    RelayStatus status;
    status.listen = bound_.str();
    status.started = started_;
    status.now = unix_now();
    status.handshakes_pending = admission_.pending();
    status.streams_waiting = held_.size();
    status.totals = *totals_;
    status.counters = counters_;
    std::set<const io::Session*> endpoints;
    for (const auto& [name, entry] : registry_.entries()) {
        const auto session = entry.session.lock();
        const auto live = session ? live_.find(session.get()) : live_.end();
        if (live == live_.end() || session->closed()) continue;
        endpoints.insert(session.get());
        status.endpoints.push_back(SessionStatus{name, live->second.key.fingerprint(), session->peer(), entry.since,
                                                 session->suspended(), entry.services, *live->second.traffic});
    }
    for (const auto& [ptr, live] : live_) {
        const auto session = live.session.lock();
        if (!session || session->closed() || endpoints.count(ptr)) continue;
        status.clients.push_back(SessionStatus{options_.policy.label_of(live.key), live.key.fingerprint(),
                                               session->peer(), live.since, session->suspended(), {}, *live.traffic});
    }
    std::sort(status.clients.begin(), status.clients.end(), [](const auto& a, const auto& b) {
        return std::tie(a.name, a.since, a.address) < std::tie(b.name, b.since, b.address);
    });
    return status;
}

}  // namespace burrow::relay
