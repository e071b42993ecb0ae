#include <spdlog/spdlog.h>

#include <algorithm>

#include "client/client.hpp"
#include "client/control_channel.hpp"
#include "client/direct_path.hpp"
#include "client/relay_link.hpp"
#include "io/backoff.hpp"
#include "io/spawn.hpp"
#include "io/stream_pump.hpp"
#include "io/tls_stream.hpp"

namespace burrow::client {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// How long a new connection waits for a session (or its endpoint) before it
// is reset: a brief break of the path to the relay (Wi-Fi roaming, NAT
// rebinding) then costs it nothing, as it costs nothing to the streams open.
constexpr auto kWaitForSession = std::chrono::seconds(10);
constexpr auto kCheckAgain = std::chrono::seconds(1);      // while a target's endpoint is offline
constexpr auto kCheckDeadline = std::chrono::seconds(10);  // for the relay's answer
constexpr auto kMaxRetryDelay = std::chrono::milliseconds(8000);
constexpr auto kDirectRetry = std::chrono::seconds(30);  // after a direct path failed or broke
// A direct session this long without a byte (its pings go every 2 s) takes no new streams.
constexpr auto kDirectSilent = std::chrono::milliseconds(3000);
constexpr auto kAcceptPause = std::chrono::milliseconds(100);  // after an accept failed for want of descriptors, say

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

std::string where(const ForwardSpec& spec) {
    return "-L " + spec.bind.str() + (spec.origin.empty() ? "" : " (from " + spec.origin + ")");
}

}  // namespace

std::string describe_target_check(const std::string& endpoint, const std::string& service,
                                  const proto::TargetCheck& check, const crypto::PublicKey& client) {
    using proto::TargetStatus;
    switch (check.status) {
        case TargetStatus::ok: return "ok";
        case TargetStatus::offline: return "endpoint '" + endpoint + "' is offline: waiting for it";
        case TargetStatus::no_endpoint:
            return "no endpoint '" + endpoint + "' you may open (" +
                   (check.names.empty() ? "none is online" : "online: " + joined(check.names)) + ")";
        case TargetStatus::no_service:
            return "endpoint '" + endpoint + "' has no service '" + service + "' (" +
                   (check.names.empty() ? "none you may open" : "it has: " + joined(check.names)) + ")";
        case TargetStatus::not_granted:
            return "this client's key " + client.fingerprint() + " is not granted '" + endpoint + "/" + service +
                   "' on this relay (the relay's config lists what each client may open)";
    }
    return "unknown";
}

Forwarder::Forwarder(asio::any_io_executor ex, ClientOptions options, std::vector<ForwardSpec> specs)
    : ex_(std::move(ex)),
      options_(std::move(options)),
      specs_(std::move(specs)),
      requests_(std::make_unique<PendingRequests>()),
      pause_(ex_) {}

Forwarder::~Forwarder() = default;

void Forwarder::start(const std::function<void(const ForwardSpec&, const io::HostPort&)>& on_listening,
                      std::function<void(const std::string& why)> on_failure) {
    on_failure_ = std::move(on_failure);
    for (auto& spec : specs_) {
        io::tcp::acceptor acceptor(ex_);
        try {
            acceptor = io::listen_tcp(ex_, spec.bind);
        } catch (const boost::system::system_error& e) {
            const auto what = e.code() == asio::error::address_in_use ? "address already in use" : e.code().message();
            throw std::runtime_error(where(spec) + ": " + what);
        }
        const auto ep = acceptor.local_endpoint();
        acceptors_.push_back(std::make_shared<io::tcp::acceptor>(std::move(acceptor)));
        traffic_.push_back(std::make_shared<io::LocalTraffic>());
        spec.bind = io::HostPort{ep.address().to_string(), ep.port()};  // the port it got, for messages
        on_listening(spec, spec.bind);
    }
    const std::weak_ptr<Forwarder> weak = weak_from_this();
    for (std::size_t i = 0; i < specs_.size(); ++i) {
        const std::string listener = where(specs_[i]);
        io::spawn(ex_, accept_loop(i), listener + ": listener", [weak, listener](const std::string& what) {
            if (auto self = weak.lock()) self->fail(listener + ": the listener failed: " + what);
        });
    }
    io::spawn(ex_, keep_connected(), "forward: relay session keeper", [weak](const std::string& what) {
        if (auto self = weak.lock()) self->fail("the session to the relay cannot be kept up: " + what);
    });
}

void Forwarder::fail(const std::string& why) {
    if (stopped_) return;
    stop();
    if (on_failure_) on_failure_(why);
}

void Forwarder::stop() {
    stopped_ = true;
    drain();
    if (session_) session_->close("forward stopping");
    for (auto& [name, d] : direct_)
        if (d.link) d.link->session->close("forward stopping");
    pause_.cancel();
    notify();
}

void Forwarder::drain() {
    for (auto& a : acceptors_) {
        io::error_code ignored;
        a->close(ignored);
    }
}

bool Forwarder::idle() const {
    for (const auto& [name, d] : direct_)
        if (d.link && !d.link->session->closed() && d.link->session->mux().stream_count() > 0) return false;
    return !session_ || session_->closed() || session_->mux().stream_count() == 0;
}

bool Forwarder::finished() const {
    for (const auto& [name, d] : direct_)
        if (d.link && !d.link->session->finished()) return false;
    return !session_ || session_->finished();
}

std::shared_ptr<io::Session> Forwarder::direct_session(const std::string& endpoint) const {
    const auto it = direct_.find(endpoint);
    if (it == direct_.end() || !it->second.link) return nullptr;
    const auto& s = it->second.link->session;
    if (s->closed() || s->mux().peer_going_away() || s->silent_for() > kDirectSilent) return nullptr;
    return s;
}

void Forwarder::maybe_try_direct(const std::string& endpoint) {
    const auto& d = direct_[endpoint];
    if (stopped_ || d.trying || (d.link && !d.link->session->closed()) || Clock::now() < d.next_try) return;
    const std::weak_ptr<Forwarder> weak = weak_from_this();
    io::spawn(ex_, try_direct(endpoint), endpoint + ": direct path", [weak, endpoint](const std::string&) {
        const auto self = weak.lock();
        if (!self) return;
        auto& d = self->direct_[endpoint];
        d.trying = false;
        d.next_try = Clock::now() + kDirectRetry;
        self->notify();  // connections waiting for the try go through the relay
    });
}

io::awaitable<void> Forwarder::try_direct(std::string endpoint) {
    auto self = shared_from_this();
    direct_[endpoint].trying = true;
    const auto session = session_;
    std::optional<proto::ControlMessage> answer;
    if (session && !session->closed()) {
        proto::ControlMessage request = proto::DirectRequest{endpoint};
        answer = co_await requests_->ask(*session, std::move(request), kCheckDeadline);
    }
    const auto* reply = answer ? std::get_if<proto::DirectReply>(&*answer) : nullptr;
    std::optional<DirectSession> link;
    std::string why;
    if (reply && !reply->candidates.empty()) {
        auto peer = std::make_shared<ClientPeer>();
        const std::weak_ptr<Forwarder> weak = weak_from_this();
        peer->on_end = [weak, endpoint](const std::string& end) {
            const auto self = weak.lock();
            if (!self || self->stopped_) return;
            auto& d = self->direct_[endpoint];
            if (d.link)
                spdlog::warn("{}: direct path to {} closed ({}): new connections go through the relay", endpoint,
                             d.link->candidate, end);
            d.link.reset();
            d.next_try = Clock::now() + kDirectRetry;
            self->notify();
        };
        peer->on_going_away = [weak] {
            if (auto self = weak.lock()) self->notify();
        };
        link = co_await open_direct_session(options_, *reply, peer, kDirectDialTimeout, why);
    }
    auto& d = direct_[endpoint];
    d.trying = false;
    if (link && !stopped_) {
        spdlog::info("{}: direct path to {} (the relay is bypassed; key {})", endpoint, link->candidate,
                     link->key.fingerprint());
        d.link = std::make_shared<DirectSession>(std::move(*link));
    } else {
        if (link) link->session->close("forward stopping");
        if (reply && !reply->candidates.empty())
            spdlog::info("{}: no direct path ({}): through the relay", endpoint, why);
        else
            spdlog::debug("{}: no direct candidates: through the relay", endpoint);
        d.next_try = Clock::now() + kDirectRetry;
    }
    notify();
}

void Forwarder::notify() {
    for (auto* waiter : waiters_) waiter->cancel();
}

io::awaitable<void> Forwarder::wait_for_change(Clock::time_point until) {
    asio::steady_timer wait(ex_, until);
    waiters_.push_back(&wait);
    io::error_code ec;
    co_await wait.async_wait(io::redirect_error(io::use_awaitable, ec));
    std::erase(waiters_, &wait);
}

std::shared_ptr<ClientPeer> Forwarder::make_peer() {
    auto peer = std::make_shared<ClientPeer>();
    const std::weak_ptr<Forwarder> weak = weak_from_this();
    peer->on_end = [weak](const std::string& why) {
        auto self = weak.lock();
        if (!self) return;
        self->session_end_ = why;
        self->requests_->fail_all();
        self->notify();
    };
    peer->on_resume = peer->on_going_away = [weak] {
        if (auto self = weak.lock()) self->notify();
    };
    peer->on_message = [weak](proto::ControlMessage&& msg) {
        if (auto self = weak.lock()) self->requests_->answer(std::move(msg));
    };
    return peer;
}

io::awaitable<void> Forwarder::keep_connected() {
    io::Backoff backoff(std::chrono::milliseconds(500), kMaxRetryDelay);
    const std::string relay = options_.relay.str();
    while (!stopped_) {
        std::string failure;
        bool refused = false;
        auto peer = make_peer();
        try {
            auto session = co_await open_relay_session(options_, peer);
            if (stopped_) {
                session->close("forward stopping");
                break;
            }
            session_ = std::move(session);
        } catch (const io::RelayKeyRefused& e) {
            refused = true;
            failure = e.what();
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (refused) {
            if (refusal_ != failure) spdlog::error("{}", failure);
            refusal_ = failure;
            notify();  // connections waiting now are refused at once
        } else if (failure.empty()) {
            statuses_.clear();
            notify();
            co_await check_targets_at_start();
            for (const auto& spec : specs_)
                if (statuses_[spec.target()] == proto::TargetStatus::ok) maybe_try_direct(spec.endpoint);
            if (!session_->closed()) {  // admitted (a refusal closes the session at once)
                if (!refusal_.empty() || !last_failure_.empty()) spdlog::info("connected to relay {}", relay);
                refusal_.clear();
                last_failure_.clear();
                backoff.reset();
                connected_since_ = unix_now();  // not before: a relay that refuses this key is not asked again at once
            }
            while (!stopped_ && !session_->closed() && !session_->mux().peer_going_away())
                co_await wait_for_change(Clock::time_point::max());
            if (stopped_) break;
            failure = session_->closed() ? "session to relay " + relay + " ended: " + session_end_
                                         : "relay " + relay + " is going away";
            // The relay does not admit this client's key: like a refused relay key, nothing to wait for.
            if (peer->goaway == proto::Errc::not_authorized) {
                if (refusal_ != failure) spdlog::error("{}", failure);
                refusal_ = failure;
                refused = true;
                notify();
            }
        }
        const auto delay = backoff.next();
        if (!refused) {
            const auto level = failure == last_failure_ ? spdlog::level::info : spdlog::level::warn;
            spdlog::log(level, "{}; retrying in {:.1f} s (new connections wait up to {} s for it)", failure,
                        delay.count() / 1000.0, kWaitForSession.count());
            last_failure_ = failure;
        }
        pause_.expires_after(delay);
        io::error_code ec;
        co_await pause_.async_wait(io::redirect_error(io::use_awaitable, ec));
    }
}

// Says, once per session, what the relay knows of each -L's target.
io::awaitable<void> Forwarder::check_targets_at_start() {
    std::vector<std::string> targets;
    for (const auto& spec : specs_) targets.push_back(spec.target());
    std::sort(targets.begin(), targets.end());
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
    if (targets.size() > proto::kMaxCheckTargets) targets.resize(proto::kMaxCheckTargets);
    const auto reply = co_await check(targets);
    if (!reply || reply->results.size() != targets.size()) co_return;
    for (std::size_t i = 0; i < targets.size(); ++i) statuses_[targets[i]] = reply->results[i].status;
    for (const auto& spec : specs_) {
        const auto it = std::find(targets.begin(), targets.end(), spec.target());
        if (it == targets.end()) continue;
        const auto& result = reply->results[static_cast<std::size_t>(it - targets.begin())];
        const auto text = describe_target_check(spec.endpoint, spec.service, result, options_.identity->public_key());
        spdlog::log(result.status == proto::TargetStatus::ok ? spdlog::level::info : spdlog::level::warn,
                    "{} -> {}: {}", where(spec), spec.target(), text);
    }
}

io::awaitable<std::optional<proto::CheckReply>> Forwarder::check(std::vector<std::string> targets) {
    auto session = session_;
    if (!session) co_return std::nullopt;
    // (built before the co_await: g++ 12 destroys a braced temporary in a co_await expression twice)
    proto::ControlMessage request = proto::CheckRequest{std::move(targets)};
    auto answer = co_await requests_->ask(*session, std::move(request), kCheckDeadline);
    if (auto* reply = answer ? std::get_if<proto::CheckReply>(&*answer) : nullptr) co_return std::move(*reply);
    co_return std::nullopt;  // no answer, or an ERROR
}

io::awaitable<std::shared_ptr<io::Session>> Forwarder::usable_session(Clock::time_point until, std::string& why) {
    for (;;) {
        if (stopped_) {
            why = "the forward is stopping";
            co_return nullptr;
        }
        if (!refusal_.empty()) {
            why = "the relay refuses this client, or its key is refused (see the error above)";
            co_return nullptr;
        }
        const auto s = session_;
        if (s && !s->closed() && !s->suspended() && !s->mux().peer_going_away()) co_return s;
        if (Clock::now() >= until) {
            const auto wait = std::to_string(kWaitForSession.count());
            if (s && !s->closed() && s->suspended())
                why = "the connection to the relay broke and did not resume within " + wait + " s";
            else
                why = "no session to relay " + options_.relay.str() + " within " + wait + " s" +
                      (last_failure_.empty() ? "" : " (" + last_failure_ + ")");
            co_return nullptr;
        }
        co_await wait_for_change(until);
    }
}

io::awaitable<bool> Forwarder::target_ready(const ForwardSpec& spec, Clock::time_point until, std::string& why) {
    const std::string target = spec.target();
    bool announced = false;
    for (;;) {
        if (const auto it = statuses_.find(target); it != statuses_.end() && it->second == proto::TargetStatus::ok)
            co_return true;
        std::vector<std::string> targets;  // (no braced list: g++ 12 cannot keep one in a coroutine frame)
        targets.push_back(target);
        const auto reply = co_await check(std::move(targets));
        if (!reply || reply->results.size() != 1) co_return true;  // no answer: let OPEN say what is wrong
        const auto& result = reply->results[0];
        statuses_[target] = result.status;
        if (result.status == proto::TargetStatus::ok) co_return true;
        if (result.status != proto::TargetStatus::offline || Clock::now() + kCheckAgain > until) {
            why = describe_target_check(spec.endpoint, spec.service, result, options_.identity->public_key());
            if (result.status == proto::TargetStatus::offline)
                why = "endpoint '" + spec.endpoint + "' is offline (waited " + std::to_string(kWaitForSession.count()) +
                      " s)";
            co_return false;
        }
        if (!announced)
            spdlog::info("{}: endpoint '{}' is offline: a new connection waits up to {} s for it", target,
                         spec.endpoint, kWaitForSession.count());
        announced = true;
        asio::steady_timer again(ex_, kCheckAgain);
        io::error_code ec;
        co_await again.async_wait(io::redirect_error(io::use_awaitable, ec));
        if (stopped_) co_return false;
    }
}

io::awaitable<void> Forwarder::accept_loop(std::size_t index) {
    const auto acceptor = acceptors_[index];
    const ForwardSpec spec = specs_[index];
    while (acceptor->is_open()) {
        io::error_code ec;
        io::tcp::socket socket = co_await acceptor->async_accept(io::redirect_error(io::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;
        if (io::listener_broken(ec)) throw boost::system::system_error(ec, "accept");
        if (ec) {
            spdlog::warn("{}: accept failed: {}", where(spec), ec.message());
            asio::steady_timer pause(ex_, kAcceptPause);
            co_await pause.async_wait(io::redirect_error(io::use_awaitable, ec));
            continue;
        }
        io::spawn(ex_, serve(std::move(socket), index), spec.target());
    }
}

io::awaitable<void> Forwarder::serve(io::tcp::socket socket, std::size_t index) {
    auto self = shared_from_this();
    const ForwardSpec spec = specs_[index];
    auto local = std::make_unique<io::TcpByteStream>(std::move(socket));
    const std::string target = spec.target();
    const std::string from = local->describe();
    const auto until = Clock::now() + kWaitForSession;
    std::string why;
    // A direct path being tried is worth a few seconds' wait: it carries the stream faster.
    const auto direct_wait = std::min(until, Clock::now() + kDirectDialTimeout + std::chrono::seconds(1));
    while (direct_[spec.endpoint].trying && !stopped_ && Clock::now() < direct_wait) co_await wait_for_change(direct_wait);
    auto s = direct_session(spec.endpoint);
    std::optional<proto::PeerKey> direct_key;  // the endpoint's, as the direct TLS handshake proved it
    if (s) {
        direct_key = direct_[spec.endpoint].link->key.bytes;
        spdlog::debug("{} (from {}): direct", target, from);
    } else {
        s = co_await usable_session(until, why);
        if (s && !co_await target_ready(spec, until, why)) s = nullptr;
        if (s && (s->closed() || s->suspended())) s = co_await usable_session(until, why);  // changed while checking
        if (s) maybe_try_direct(spec.endpoint);
    }
    const proto::StreamId id = s ? s->mux().open(target) : 0;
    if (s && id == 0) why = "the session takes no new streams";
    if (id == 0) {
        spdlog::warn("{} (from {}): connection reset: {}", target, from, why);
        local->reset();
        co_return;
    }
    auto pump = std::make_shared<io::StreamPump>(s, id, std::move(local), [weak = weak_from_this(), target, from](
                                                                              const io::PumpError& err) {
        if (!err) return;
        spdlog::warn("{} (from {}): {}", target, from, err.message());
        if (auto fwd = weak.lock()) fwd->statuses_.erase(target);  // asked again for the next connection
    });
    pump->set_codec_factory([self, spec, target, direct_key](const std::optional<proto::PeerKey>& key,
                                                             std::string& error) {
        return make_client_codec(self->options_, spec.endpoint, target, direct_key ? direct_key : key, error);
    });
    pump->count_into(traffic_[index]);
    pump->start(false);
    s->flush();
}

ForwardStatus Forwarder::status() const {
    ForwardStatus out;
    out.relay = options_.relay.str();
    out.now = unix_now();
    if (!refusal_.empty()) {
        out.session = "refused";
        out.detail = refusal_;
    } else if (!session_ || session_->closed()) {
        out.session = "connecting";
        out.detail = last_failure_;
    } else if (session_->suspended()) {
        out.session = "resuming";
    } else {
        out.session = "connected";
        out.since = connected_since_;
    }
    for (std::size_t i = 0; i < specs_.size(); ++i) {
        const auto& spec = specs_[i];
        const auto& t = *traffic_[i];
        const auto checked = statuses_.find(spec.target());
        std::string state;
        if (checked != statuses_.end()) {
            switch (checked->second) {
                case proto::TargetStatus::ok: state = "ok"; break;
                case proto::TargetStatus::offline: state = "offline"; break;
                case proto::TargetStatus::no_endpoint: state = "no endpoint"; break;
                case proto::TargetStatus::no_service: state = "no service"; break;
                case proto::TargetStatus::not_granted: state = "not granted"; break;
            }
        }
        const auto direct = direct_.find(spec.endpoint);
        const bool up = direct != direct_.end() && direct->second.link && direct_session(spec.endpoint);
        out.forwards.push_back({spec.bind.str(), spec.target(), state, t.connections_open, t.connections, t.bytes_sent,
                                t.bytes_received, up ? "direct " + direct->second.link->candidate : "relay"});
    }
    return out;
}

}  // namespace burrow::client
