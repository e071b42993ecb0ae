#include "endpoint/endpoint.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "endpoint/direct_listener.hpp"
#include "endpoint/port_mapper.hpp"
#include "io/backoff.hpp"
#include "io/session.hpp"
#include "io/spawn.hpp"
#include "io/e2e_codec.hpp"
#include "io/lan_interfaces.hpp"
#include "io/wake_sender.hpp"
#include "proto/wake.hpp"
#include "io/resume.hpp"
#include "io/stream_pump.hpp"
#include "io/tls_stream.hpp"

namespace burrow::endpoint {

using proto::Errc;

namespace {

// Sends the magic packet the relay asked for, to a broadcast address of this machine's own LANs only.
void wake_on_lan(const proto::WakeOrder& order) {
    proto::MacAddress mac;
    std::copy(order.mac.begin(), order.mac.end(), mac.begin());
    const std::string to = proto::ipv4_text(order.broadcast);
    bool mine = false;
    for (const auto& itf : io::lan_interfaces()) mine = mine || proto::broadcast_of(itf) == order.broadcast;
    if (!mine) {
        spdlog::warn("wake: the relay asked for a packet to {}, which is not a broadcast address of this machine's LAN: "
                     "not sent", to);
        return;
    }
    try {
        io::send_wake_packet(to, order.port, proto::magic_packet(mac));
        spdlog::info("wake: sent a magic packet for {} to {}:{} (asked by the relay)", proto::format_mac(mac), to,
                     order.port);
    } catch (const std::exception& e) {
        spdlog::warn("wake: {}", e.what());
    }
}

}  // namespace

class Endpoint::Peer final : public io::SessionHandler {
public:
    explicit Peer(std::weak_ptr<Endpoint> owner) : owner_(std::move(owner)) {}
    // REGISTER waits for the relay's HELLO, which says how large a frame it takes.
    void on_ready(io::Session& s) override {
        if (auto o = owner_.lock()) {
            s.mux().send_control(o->registration());
            s.flush();
        }
    }
    void on_stream_opened(io::Session& s, proto::StreamId id, const std::string& target,
                          const std::optional<proto::PeerKey>& client_key) override {
        if (auto o = owner_.lock()) o->on_open(s.shared_from_this(), id, target, client_key);
    }
    void on_control(io::Session& s, proto::ControlMessage&& msg) override {
        auto o = owner_.lock();
        if (!o) return;
        if (std::holds_alternative<proto::Registered>(msg)) {
            registered = true;
            spdlog::info("registered as '{}' with relay {}", o->options_.name, o->options_.relay.str());
            // Where it sits, so that the relay can have it woken, or have it wake others.
            s.mux().send_control(proto::LanInfo{io::lan_interfaces()});
            if (auto candidates = o->direct_candidates(); !candidates.empty())
                s.mux().send_control(proto::DirectInfo{std::move(candidates)});
            s.flush();
            if (o->on_registered_) o->on_registered_();
        } else if (const auto* order = std::get_if<proto::WakeOrder>(&msg)) {
            wake_on_lan(*order);
        } else if (auto* err = std::get_if<proto::ControlError>(&msg)) {
            spdlog::error("relay {} refused: {}", o->options_.relay.str(), err->reason);
            s.close("relay refused: " + err->reason);
        }
    }
    void on_suspended(io::Session& s, const std::string& why) override {
        auto o = owner_.lock();
        if (!o) return;
        spdlog::warn("connection to relay {} lost ({}): resuming the session", o->options_.relay.str(), why);
        auto session = s.shared_from_this();
        io::spawn(o->ex_, io::reattach(session, [o]() {
                      return io::dial_relay(o->options_.relay, *o->tls_, o->options_.trust);
                  }),
                  "resuming the session to relay " + o->options_.relay.str(),
                  [session](const std::string& what) { session->close("resuming failed: " + what); });
    }
    void on_resumed(io::Session&) override {
        auto o = owner_.lock();
        if (!o) return;
        spdlog::info("session to relay {} resumed", o->options_.relay.str());
        if (o->on_registered_) o->on_registered_();  // online again, under the same registration
    }
    void on_closed(io::Session&, const std::string& why) override {
        if (auto o = owner_.lock()) {
            reason = why;
            o->session_done_.cancel();
        }
    }
    bool registered = false;
    std::string reason;

private:
    std::weak_ptr<Endpoint> owner_;
};

Endpoint::Endpoint(asio::any_io_executor ex, EndpointOptions options, crypto::Identity identity,
                   std::function<void()> on_registered)
    : ex_(std::move(ex)),
      options_(std::move(options)),
      identity_(std::move(identity)),
      tls_(std::make_unique<io::TlsContext>(identity_, false, options_.tcp_congestion)),
      on_registered_(std::move(on_registered)),
      session_done_(ex_) {}

Endpoint::~Endpoint() = default;

void Endpoint::start() {
    start_direct();
    io::spawn(ex_, [self = shared_from_this()] { return self->keep_connected(); }, "endpoint", {},
              spdlog::level::critical);
}

void Endpoint::stop() {
    stopped_ = true;
    if (direct_) direct_->stop();
    if (mapper_) mapper_->stop();  // removes the router's mapping before the process ends
    closing_ = session_;
    if (session_) session_->close("endpoint stopping");
    session_done_.cancel();
}

bool Endpoint::finished() const {
    return (!closing_ || closing_->finished()) && (!direct_ || direct_->finished());
}

void Endpoint::update_services(std::map<std::string, Service> services) {
    options_.services = std::move(services);
    if (session_ && !session_->closed()) {
        session_->mux().send_control(registration());
        session_->flush();
    }
}

proto::Register Endpoint::registration() const {
    proto::Register reg{options_.name, {}};
    for (const auto& [name, service] : options_.services) reg.services.push_back(name);
    return reg;
}

void Endpoint::drain() {
    stopped_ = true;
    if (direct_) direct_->drain();
    if (session_) {
        session_->mux().goaway(Errc::going_away, "the endpoint is shutting down");
        session_->flush();
    }
}

bool Endpoint::idle() const {
    const bool relay_idle = !session_ || session_->closed() || session_->mux().stream_count() == 0;
    return relay_idle && (!direct_ || direct_->idle());
}

void Endpoint::start_direct() {
    const auto& direct = options_.direct;
    if (!direct.listen) return;
    DirectHooks hooks;
    hooks.admits = [weak = weak_from_this()](const crypto::PublicKey& key) {
        const auto self = weak.lock();
        return self && self->options_.clients.admits_some(key);
    };
    hooks.on_open = [weak = weak_from_this()](const std::shared_ptr<io::Session>& s, proto::StreamId id,
                                              const std::string& target, const crypto::PublicKey& client) {
        if (const auto self = weak.lock()) self->on_open(s, id, target, client.bytes);
    };
    direct_ = std::make_shared<DirectListener>(ex_, *direct.listen, identity_, options_.limits, std::move(hooks),
                                               options_.tcp_congestion);
    direct_->start();
    std::string advertised;
    for (const auto& a : direct.advertise) advertised += (advertised.empty() ? "" : ", ") + a;
    spdlog::info("direct listener on {}{}", direct_->address().str(),
                 advertised.empty() ? "" : " (advertised as " + advertised + ")");
    if (direct.upnp) {
        mapper_ = std::make_unique<PortMapper>(ex_, direct_->port(), "burrow " + options_.name,
                                               [weak = weak_from_this()](const std::optional<Mapping>& m) {
                                                   if (const auto self = weak.lock()) self->on_mapping(m);
                                               });
        mapper_->start();
    }
}

std::vector<std::string> Endpoint::direct_candidates() const {
    std::vector<std::string> out;
    if (!direct_) return out;
    if (mapping_) out.push_back(mapping_->external_address + ":" + std::to_string(mapping_->external_port));
    for (const auto& a : options_.direct.advertise)
        if (out.size() < proto::kMaxCandidates && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    return out;
}

void Endpoint::announce_direct() {
    if (!session_ || session_->closed()) return;
    session_->mux().send_control(proto::DirectInfo{direct_candidates()});
    session_->flush();
}

void Endpoint::on_mapping(const std::optional<Mapping>& mapping) {
    if (stopped_) return;
    mapping_ = mapping;
    announce_direct();
}

io::awaitable<void> Endpoint::keep_connected() {
    // Capped low enough to be back within 10 s of a long-gone relay's return.
    io::Backoff backoff(std::chrono::milliseconds(500), std::chrono::milliseconds(8000));
    asio::steady_timer pause(ex_);
    while (!stopped_) {
        std::string failure;
        auto peer = std::make_shared<Peer>(weak_from_this());
        try {
            auto transport = co_await io::dial_relay(options_.relay, *tls_, options_.trust);
            session_ = std::make_shared<io::Session>(ex_, std::move(transport), proto::Role::initiator,
                                                     options_.limits, peer);
            session_->start();
            session_done_.expires_at(asio::steady_timer::time_point::max());
            io::error_code ec;
            while (!session_->closed()) co_await session_done_.async_wait(io::redirect_error(io::use_awaitable, ec));
            failure = peer->reason;
        } catch (const io::RelayKeyRefused& e) {
            // Once per change, with the fix; the retries go on quietly until the pin or the relay changes.
            if (refusal_ != e.what()) spdlog::error("{}", e.what());
            refusal_ = e.what();
            failure = e.what();
        } catch (const std::exception& e) {
            failure = e.what();
        }
        session_.reset();
        if (stopped_) break;
        if (peer->registered) backoff.reset();
        const auto delay = backoff.next();
        if (failure == refusal_) {
            spdlog::debug("relay {}: key refused; retrying in {} ms", options_.relay.str(), delay.count());
        } else {
            refusal_.clear();
            spdlog::warn("relay {}: {}; retrying in {} ms", options_.relay.str(), failure, delay.count());
        }
        pause.expires_after(delay);
        io::error_code ec;
        co_await pause.async_wait(io::redirect_error(io::use_awaitable, ec));
    }
}

void Endpoint::update_clients(ClientList clients) {
    options_.clients = std::move(clients);
    if (direct_) direct_->recheck();
}

void Endpoint::on_open(const std::shared_ptr<io::Session>& session, proto::StreamId id, const std::string& target,
                       const std::optional<proto::PeerKey>& client_key) {
    std::string name, service;
    auto& mux = session->mux();
    if (!proto::parse_target(target, name, service) || name != options_.name) {
        mux.reject(id, Errc::bad_target, "this is endpoint '" + options_.name + "', not a target for '" + target + "'");
        return;
    }
    const auto it = options_.services.find(service);
    if (it == options_.services.end()) {
        mux.reject(id, Errc::unknown_service, "endpoint '" + name + "' has no service '" + service + "'");
        return;
    }
    if (!client_key) {
        mux.reject(id, Errc::not_authorized, "the relay named no client identity for this stream");
        return;
    }
    const crypto::PublicKey client{*client_key};
    if (!options_.clients.admits(client, service)) {
        spdlog::warn("stream {}: refused: {} is not allowed to reach '{}' here", target, options_.clients.describe(client),
                     service);
        mux.reject(id, Errc::not_authorized,
                   "endpoint '" + name + "' does not allow key " + client.fingerprint() + " to reach '" + service +
                       "': on " + name + ", run: burrow endpoint allow '" + client.to_text() + "' --service " + service);
        return;
    }
    auto& open = streams_per_client_[client.bytes];
    if (open >= options_.max_streams_per_client) {
        spdlog::warn("stream {}: refused: {} holds {} streams here already (max_streams_per_client)", target,
                     options_.clients.describe(client), open);
        mux.reject(id, Errc::too_many_streams,
                   "endpoint '" + name + "' allows " + std::to_string(options_.max_streams_per_client) +
                       " open streams per client key (max_streams_per_client), and key " + client.fingerprint() +
                       " holds that many");
        return;
    }
    ++open;
    // The service is dialed only once the client has proven its key (msg3 of
    // the end-to-end handshake), so a relay naming a key it does not hold
    // reaches no service.
    const Service& svc = it->second;
    auto pump = std::make_shared<io::StreamPump>(
        session, id, nullptr,
        [weak = weak_from_this(), target, key = client.bytes](const io::PumpError& error) {
            // Tampering, a replay, a wrong key or a client too slow, found here
            // or by the client (it resets with protocol_error): worth the
            // operator's eye. The rest (a reset, a closed connection) is routine.
            const bool alarming = error.code == io::PumpErrc::end_to_end ||
                                  error.code == io::PumpErrc::handshake_timeout ||
                                  (error.code == io::PumpErrc::reset_by_peer && error.cause == Errc::protocol_error);
            if (alarming)
                spdlog::warn("stream {} reset: {}", target, error.message());
            else if (error)
                spdlog::debug("stream {} ended: {}", target, error.message());
            if (const auto self = weak.lock()) {
                if (const auto held = self->streams_per_client_.find(key);
                    held != self->streams_per_client_.end() && --held->second == 0)
                    self->streams_per_client_.erase(held);
            }
        });
    pump->set_codec(io::make_e2e_codec(crypto::E2eHandshake::endpoint(identity_, client, target, svc.e2e)));
    pump->dial_local_after_handshake(
        [target, address = svc.address]() -> io::awaitable<io::StreamPump::Dialed> {
            io::StreamPump::Dialed dialed;
            try {
                dialed.stream = co_await io::dial_tcp(address);
                spdlog::debug("stream {}: connected to {}", target, address.str());
                co_return dialed;
            } catch (const boost::system::system_error& e) {
                dialed.cause = e.code();
                dialed.failure = "connecting to " + address.str() + ": " + e.code().message();
            } catch (const std::exception& e) {
                dialed.failure = e.what();
            }
            spdlog::warn("stream {}: {}", target, dialed.failure);
            co_return dialed;
        },
        options_.handshake_deadline);
    mux.accept(id);
    pump->start(true);
    session->flush();
}

}  // namespace burrow::endpoint
