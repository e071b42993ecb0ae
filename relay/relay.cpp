#include "relay/relay.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "io/session.hpp"
#include "io/spawn.hpp"
#include "io/tls_stream.hpp"
#include "relay/ip_address.hpp"
#include "relay/relay_peer.hpp"

namespace burrow::relay {

using proto::Errc;

namespace {

// How long a new stream waits for its endpoint when that endpoint's session is
// suspended: long enough for an endpoint that notices the break only at its
// next PING (5 s) to dial again and resume (docs/PROTOCOL.md §3.6).
constexpr auto kHoldForSuspendedEndpoint = std::chrono::seconds(10);

}  // namespace

Relay::Relay(asio::any_io_executor ex, RelayOptions options, crypto::Identity identity)
    : ex_(std::move(ex)),
      options_(std::move(options)),
      identity_(std::move(identity)),
      tls_(std::make_unique<io::TlsContext>(identity_, true, options_.tcp_congestion)),
      acceptor_(ex_),
      wake_book_(options_.state_file),
      exposed_(ex_, [this](io::tcp::socket socket, const ExposeRule& rule) { open_exposed(std::move(socket), rule); }),
      held_(kHoldForSuspendedEndpoint),
      held_timer_(ex_),
      admission_(options_.limits.admission()),
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
    closing_ = sessions();  // close() erases from sessions_
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
    for (const auto id : sessions_.suspended_ids())
        if (auto s = sessions_.session(id)) s->close("the relay is shutting down");
    for (auto& s : sessions()) s->goaway(Errc::going_away, "the relay is shutting down");
}

std::vector<std::shared_ptr<io::Session>> Relay::sessions() const {
    std::vector<std::shared_ptr<io::Session>> out;
    for (const auto& [id, record] : sessions_.records())
        if (auto s = record.session.lock()) out.push_back(std::move(s));
    return out;
}

// A suspended session is not waited for: its peer may never come back.
bool Relay::idle() const {
    const auto all = sessions();
    return std::none_of(all.begin(), all.end(),
                        [](const auto& s) { return !s->closed() && !s->suspended() && s->mux().stream_count() > 0; });
}

void Relay::on_control(SessionId from_id, const Peer& peer, proto::ControlMessage&& msg) {
    const auto from = sessions_.session(from_id);
    if (!from) return;
    auto out = control_.handle(ControlSender{from_id, peer.key, host_of(from->peer()), from->mux().peer_max_payload()},
                               std::move(msg), unix_now());
    if (out.replaced) {
        if (auto old = sessions_.session(*out.replaced); old && !old->closed()) {
            spdlog::info("endpoint '{}' reconnected from {}: replacing its old session {}", out.online, from->peer(),
                         old->peer());
            old->goaway(Errc::name_in_use, "replaced by a newer session of the same endpoint");
            old->close("replaced by a newer session");
        }
    }
    if (const auto* entry = out.online.empty() ? nullptr : registry_.find(out.online))
        spdlog::info("endpoint '{}' online from {} with {} service(s)", out.online, from->peer(), entry->services.size());
    if (out.wake_via) {
        if (auto via = sessions_.session(*out.wake_via); via && !via->closed())
            via->send_control(out.wake_order);
        else
            out.reply = proto::ControlError{Errc::unknown_endpoint,
                                            "endpoint '" + std::get<proto::WakeSent>(*out.reply).via + "' went offline"};
    }
    if (out.reply) from->send_control(*out.reply);
    if (!out.online.empty()) release_held(out.online);
}

void Relay::on_ready(SessionId id, io::Session& session) {
    const auto* record = sessions_.find(id);
    if (!record) return;
    const auto ticket = tickets_.issue(id, record->key);
    if (options_.splice_observer) options_.splice_observer->on_ticket(ticket);
    session.enable_resume(ticket);
    session.send_control(ticket);
}

void Relay::on_suspended(SessionId id, io::Session& session) {
    if (draining_) {
        session.close("lost the connection while the relay is shutting down");
        return;
    }
    sessions_.suspended(id, session.shared_from_this());
    registry_.set_suspended(id, true);
    admission_.seen(host_of(session.peer()), std::chrono::steady_clock::now());  // room for it to resume
    for (const auto& e : registry_.names_of(id))
        spdlog::info("endpoint '{}' offline: its connection broke; its streams wait for it to resume", e);
}

void Relay::on_resumed(SessionId id, io::Session&) {
    sessions_.resumed(id);
    registry_.set_suspended(id, false);
    for (const auto& e : registry_.names_of(id)) {
        spdlog::info("endpoint '{}' online again (resumed)", e);
        release_held(e);
    }
}

void Relay::on_closed(SessionId id) {
    sessions_.erase(id);
    tickets_.forget(id);
    const auto now = unix_now();
    for (const auto& name : registry_.remove_session(id)) {
        spdlog::info("endpoint '{}' offline", name);
        if (const auto error = wake_book_.seen(name, now); !error.empty())
            spdlog::warn("relay: wake state {}: {}", wake_book_.state_file(), error);
        release_held(name);  // refused now: no endpoint of that name
    }
}

}  // namespace burrow::relay
