#include <spdlog/spdlog.h>

#include "client/client.hpp"
#include "client/relay_link.hpp"
#include "io/stream_pump.hpp"

namespace burrow::client {

namespace {

// How long a new connection waits for a suspended session to resume before it
// tries a new session: a brief break of the path to the relay (Wi-Fi roaming,
// NAT rebinding) then costs it nothing, as it costs nothing to the streams open.
constexpr auto kWaitForResume = std::chrono::seconds(10);

}  // namespace

Forwarder::Forwarder(asio::any_io_executor ex, ClientOptions options, std::vector<ForwardSpec> specs)
    : ex_(std::move(ex)), options_(std::move(options)), specs_(std::move(specs)), connected_(ex_) {}

io::awaitable<void> Forwarder::start(std::function<void(const ForwardSpec&, const io::HostPort&)> on_listening) {
    co_await session();  // fail fast when the relay is unreachable
    for (const auto& spec : specs_) {
        io::tcp::acceptor acceptor(ex_);
        try {
            acceptor = io::listen_tcp(ex_, spec.bind);
        } catch (const boost::system::system_error& e) {
            const auto what = e.code() == asio::error::address_in_use ? "address already in use" : e.code().message();
            throw std::runtime_error("-L " + spec.bind.str() + ": " + what);
        }
        const auto ep = acceptor.local_endpoint();
        acceptors_.push_back(std::make_shared<io::tcp::acceptor>(std::move(acceptor)));
        on_listening(spec, io::HostPort{ep.address().to_string(), ep.port()});
    }
    for (std::size_t i = 0; i < specs_.size(); ++i)
        asio::co_spawn(ex_, accept_loop(acceptors_[i], specs_[i]), asio::detached);
}

void Forwarder::stop() {
    for (auto& a : acceptors_) {
        io::error_code ignored;
        a->close(ignored);
    }
    if (session_) session_->close("forward stopping");
}

void Forwarder::drain() {
    for (auto& a : acceptors_) {
        io::error_code ignored;
        a->close(ignored);
    }
}

bool Forwarder::idle() const { return !session_ || session_->closed() || session_->mux().stream_count() == 0; }

io::awaitable<std::shared_ptr<io::Session>> Forwarder::session() {
    while (connecting_) {
        io::error_code ec;
        co_await connected_.async_wait(io::redirect_error(io::use_awaitable, ec));
    }
    // A suspended session keeps its streams while it resumes; a new one waits
    // for that too, for a while, then gets a fresh session.
    if (session_ && !session_->closed() && session_->suspended()) co_await wait_for_resume();
    if (session_ && !session_->closed() && !session_->suspended() && !session_->mux().peer_going_away())
        co_return session_;
    connecting_ = true;
    connected_.expires_at(asio::steady_timer::time_point::max());
    std::string failure;
    try {
        auto peer = std::make_shared<ClientPeer>();
        peer->on_end = [relay = options_.relay.str(), weak = weak_from_this()](const std::string& why) {
            spdlog::warn("session to relay {} ended: {}", relay, why);
            if (auto self = weak.lock()) self->wake_resume_waiters();
        };
        peer->on_resume = [weak = weak_from_this()] {
            if (auto self = weak.lock()) self->wake_resume_waiters();
        };
        session_ = co_await open_relay_session(options_, peer);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    connecting_ = false;
    connected_.cancel();
    if (!failure.empty()) throw std::runtime_error(failure);
    co_return session_;
}

io::awaitable<void> Forwarder::wait_for_resume() {
    asio::steady_timer wait(ex_, kWaitForResume);
    resume_waiters_.push_back(&wait);
    io::error_code ec;
    co_await wait.async_wait(io::redirect_error(io::use_awaitable, ec));
    std::erase(resume_waiters_, &wait);
}

// The session resumed or ended: the new streams waiting for it decide now.
void Forwarder::wake_resume_waiters() {
    for (auto* waiter : resume_waiters_) waiter->cancel();
}

io::awaitable<void> Forwarder::accept_loop(std::shared_ptr<io::tcp::acceptor> acceptor, ForwardSpec spec) {
    const std::string target = spec.target();
    while (acceptor->is_open()) {
        io::error_code ec;
        io::tcp::socket socket = co_await acceptor->async_accept(io::redirect_error(io::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) {
            spdlog::warn("-L {}: accept failed: {}", spec.bind.str(), ec.message());
            continue;
        }
        std::shared_ptr<io::Session> s;
        try {
            s = co_await session();
        } catch (const std::exception& e) {
            spdlog::error("{}: {}", target, e.what());
            continue;  // the socket closes: the local program sees the connection end
        }
        const proto::StreamId id = s->mux().open(target);
        if (id == 0) {
            spdlog::error("{}: the relay session takes no new streams", target);
            continue;
        }
        auto local = std::make_unique<io::TcpByteStream>(std::move(socket));
        const std::string from = local->describe();
        auto pump = std::make_shared<io::StreamPump>(s, id, std::move(local), [target, from](const std::string& err) {
            if (!err.empty()) spdlog::warn("{} (from {}): {}", target, from, err);
        });
        pump->set_codec_factory([self = shared_from_this(), spec, target](const std::optional<proto::PeerKey>& key, std::string& error) {
            return make_client_codec(self->options_, spec.endpoint, target, key, error);
        });
        pump->start(false);
        s->flush();
    }
}

}  // namespace burrow::client
