#include "endpoint/direct_listener.hpp"

#include <spdlog/spdlog.h>

#include "io/session.hpp"
#include "io/spawn.hpp"
#include "io/tls_stream.hpp"

namespace burrow::endpoint {

namespace asio = io::asio;
using proto::Errc;

namespace {

constexpr std::size_t kMaxHandshakes = 16;  // at once; more wait in the kernel's backlog
constexpr std::size_t kMaxSessions = 64;
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);

}  // namespace

class DirectListener::Peer final : public io::SessionHandler {
public:
    Peer(std::weak_ptr<DirectListener> owner, crypto::PublicKey key) : owner_(std::move(owner)), key_(key) {}
    void on_stream_opened(io::Session& s, proto::StreamId id, const std::string& target,
                          const std::optional<proto::PeerKey>&) override {
        const auto o = owner_.lock();
        if (!o || o->draining_) {
            s.mux().reject(id, Errc::going_away, "the endpoint is shutting down");
            return;
        }
        o->hooks_.on_open(s.shared_from_this(), id, target, key_);  // the key TLS proved, not one from OPEN
    }
    void on_control(io::Session& s, proto::ControlMessage&&) override {
        s.mux().send_control(proto::ControlError{Errc::protocol_error, "a direct session takes no control messages"});
    }
    void on_closed(io::Session& s, const std::string& why) override {
        spdlog::info("direct session from {} ({}) ended: {}", s.peer(), key_.fingerprint(), why);
        if (const auto o = owner_.lock()) o->sessions_.erase(s.shared_from_this());
    }

private:
    std::weak_ptr<DirectListener> owner_;
    crypto::PublicKey key_;
};

DirectListener::DirectListener(io::asio::any_io_executor ex, const io::HostPort& at, const crypto::Identity& identity,
                               proto::MuxLimits limits, DirectHooks hooks, const std::string& tcp_congestion)
    : ex_(ex),
      tls_(std::make_unique<io::TlsContext>(identity, true, tcp_congestion)),
      acceptor_(io::listen_tcp(ex, at)),
      limits_(limits),
      hooks_(std::move(hooks)) {
    const auto ep = acceptor_.local_endpoint();
    address_ = io::HostPort{ep.address().to_string(), ep.port()};
    port_ = ep.port();
}

DirectListener::~DirectListener() = default;

void DirectListener::start() {
    io::spawn(ex_, [self = shared_from_this()] { return self->accept_loop(); }, "direct listener");
}

io::awaitable<void> DirectListener::accept_loop() {
    while (acceptor_.is_open()) {
        io::error_code ec;
        auto socket = co_await acceptor_.async_accept(io::redirect_error(io::use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        if (ec) {
            spdlog::warn("direct listener: accept failed: {}", ec.message());
            asio::steady_timer pause(ex_, std::chrono::milliseconds(100));
            co_await pause.async_wait(io::redirect_error(io::use_awaitable, ec));
            continue;
        }
        const auto remote = socket.remote_endpoint(ec);
        if (ec) continue;
        if (handshakes_ >= kMaxHandshakes || sessions_.size() >= kMaxSessions) {
            spdlog::debug("direct listener: dropped a connection from {}: {} handshakes, {} sessions",
                          remote.address().to_string(), handshakes_, sessions_.size());
            continue;
        }
        ++handshakes_;
        const std::string source = remote.address().to_string();
        io::spawn(ex_, authenticate(std::move(socket), source), "direct listener: connection from " + source, {},
                  spdlog::level::warn);
    }
}

io::awaitable<void> DirectListener::authenticate(io::tcp::socket socket, std::string source) {
    auto self = shared_from_this();
    io::TlsResult tls;
    std::string failure;
    try {
        tls = co_await io::tls_handshake(*tls_, std::move(socket), kHandshakeTimeout);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    --handshakes_;
    if (!failure.empty()) {
        spdlog::debug("direct listener: connection from {} failed: {}", source, failure);
        co_return;
    }
    const auto key = tls.peer_key;
    const bool admitted = !draining_ && hooks_.admits(key);
    auto session = std::make_shared<io::Session>(ex_, std::move(tls.stream), proto::Role::acceptor, limits_,
                                                 std::make_shared<Peer>(weak_from_this(), key),
                                                 io::Liveness::direct());
    if (!admitted) {
        spdlog::warn("direct listener: refused {} from {}: {}", key.fingerprint(), source,
                     draining_ ? "shutting down" : "not on this endpoint's client list");
        session->mux().goaway(draining_ ? Errc::going_away : Errc::not_authorized,
                              draining_ ? "the endpoint is shutting down"
                                        : "key " + key.fingerprint() + " may not reach this endpoint");
        session->start();
        session->close(draining_ ? "shutting down" : "not on the client list");
        co_return;
    }
    spdlog::info("direct session from {} ({})", source, key.fingerprint());
    sessions_.emplace(session, key);
    session->start();
}

void DirectListener::drain() {
    draining_ = true;
    io::error_code ignored;
    acceptor_.close(ignored);
    for (const auto& [s, key] : sessions_) {
        s->mux().goaway(Errc::going_away, "the endpoint is shutting down");
        s->flush();
    }
}

void DirectListener::stop() {
    drain();
    for (const auto& [s, key] : sessions_) closing_.push_back(s);
    for (const auto& s : closing_) s->close("endpoint stopping");  // (close() erases from sessions_)
}

void DirectListener::recheck() {
    std::vector<std::shared_ptr<io::Session>> revoked;
    for (const auto& [s, key] : sessions_)
        if (!hooks_.admits(key)) revoked.push_back(s);
    for (const auto& s : revoked) {
        spdlog::warn("direct listener: closing the session from {}: its key is no longer allowed", s->peer());
        s->mux().goaway(Errc::not_authorized, "your key was removed from this endpoint's client list");
        s->close("key no longer allowed");
    }
}

bool DirectListener::idle() const {
    for (const auto& [s, key] : sessions_)
        if (!s->closed() && s->mux().stream_count() > 0) return false;
    return true;
}

bool DirectListener::finished() const {
    for (const auto& s : closing_)
        if (!s->finished()) return false;
    return true;
}

}  // namespace burrow::endpoint
