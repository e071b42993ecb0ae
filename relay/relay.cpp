#include "relay/relay.hpp"

#include <spdlog/spdlog.h>

#include "io/session.hpp"
#include "relay/splice.hpp"

namespace burrow::relay {

using proto::Errc;

class Relay::Peer final : public io::SessionHandler {
public:
    explicit Peer(std::weak_ptr<Relay> relay) : relay_(std::move(relay)) {}
    void on_stream_opened(io::Session& s, proto::StreamId id, const std::string& target) override {
        if (auto r = relay_.lock()) r->on_open(s.shared_from_this(), id, target);
    }
    void on_control(io::Session& s, proto::ControlMessage&& msg) override {
        if (auto r = relay_.lock()) r->on_control(s.shared_from_this(), std::move(msg));
    }
    void on_closed(io::Session& s, const std::string& why) override {
        spdlog::info("session {} ended: {}", s.peer(), why);
        if (auto r = relay_.lock()) r->on_closed(s);
    }

private:
    std::weak_ptr<Relay> relay_;
};

Relay::Relay(asio::any_io_executor ex, RelayOptions options)
    : ex_(std::move(ex)), options_(std::move(options)), acceptor_(ex_) {}

void Relay::start() {
    acceptor_ = io::listen_tcp(ex_, options_.listen);
    const auto ep = acceptor_.local_endpoint();
    bound_ = io::HostPort{ep.address().to_string(), ep.port()};
    asio::co_spawn(ex_, [self = shared_from_this()] { return self->accept_loop(); }, [](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            spdlog::error("relay: accept loop ended: {}", ex.what());
        }
    });
}

void Relay::stop() {
    io::error_code ignored;
    acceptor_.close(ignored);
}

io::awaitable<void> Relay::accept_loop() {
    while (acceptor_.is_open()) {
        io::error_code ec;
        io::tcp::socket socket = co_await acceptor_.async_accept(io::redirect_error(io::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) {
            // Out of descriptors and the like: say so, breathe, go on.
            spdlog::warn("relay: accept failed: {}", ec.message());
            asio::steady_timer pause(ex_, std::chrono::milliseconds(100));
            co_await pause.async_wait(io::redirect_error(io::use_awaitable, ec));
            continue;
        }
        auto transport = std::make_unique<io::TcpByteStream>(std::move(socket));
        spdlog::debug("relay: connection from {}", transport->describe());
        auto session = std::make_shared<io::Session>(ex_, std::move(transport), proto::Role::acceptor,
                                                     options_.limits, std::make_shared<Peer>(weak_from_this()));
        session->start();
    }
}

void Relay::on_open(const std::shared_ptr<io::Session>& from, proto::StreamId id, const std::string& target) {
    auto& mux = from->mux();
    std::string name, service;
    if (!proto::parse_target(target, name, service)) {
        mux.reject(id, Errc::bad_target, "'" + target + "' is not of the form endpoint/service");
        return;
    }
    const Registry::Entry* entry = registry_.find(name);
    if (!entry) {
        spdlog::info("stream {} from {}: no such endpoint online", target, from->peer());
        mux.reject(id, Errc::unknown_endpoint, "no endpoint named '" + name + "' is online");
        return;
    }
    if (!std::binary_search(entry->services.begin(), entry->services.end(), service)) {
        spdlog::info("stream {} from {}: no such service", target, from->peer());
        mux.reject(id, Errc::unknown_service, "endpoint '" + name + "' has no service '" + service + "'");
        return;
    }
    auto endpoint = entry->session.lock();
    const proto::StreamId out = endpoint->mux().open(target);
    if (out == 0) {
        mux.reject(id, Errc::going_away, "endpoint '" + name + "' is not taking new streams");
        return;
    }
    spdlog::debug("stream {} from {}: spliced to {}", target, from->peer(), endpoint->peer());
    Splice::start(from, id, endpoint, out, target);
}

void Relay::on_control(const std::shared_ptr<io::Session>& from, proto::ControlMessage&& msg) {
    if (auto* reg = std::get_if<proto::Register>(&msg)) {
        if (!registry_.add(reg->name, reg->services, from)) {
            spdlog::warn("endpoint {} wants name '{}', which another session holds", from->peer(), reg->name);
            from->mux().send_control(proto::ControlError{Errc::name_in_use, "the name '" + reg->name +
                                                                                  "' is held by another endpoint"});
        } else {
            spdlog::info("endpoint '{}' online from {} with {} service(s)", reg->name, from->peer(),
                         reg->services.size());
            from->mux().send_control(proto::Registered{reg->name});
        }
    } else if (std::holds_alternative<proto::ListRequest>(msg)) {
        auto entries = registry_.list();
        if (entries.size() > proto::kMaxListEntries) entries.resize(proto::kMaxListEntries);
        from->mux().send_control(proto::ListReply{std::move(entries)});
    } else {
        from->mux().send_control(proto::ControlError{Errc::protocol_error, "unexpected control message"});
    }
    from->flush();
}

void Relay::on_closed(io::Session& session) {
    for (const auto& name : registry_.remove_session(&session)) spdlog::info("endpoint '{}' offline", name);
}

}  // namespace burrow::relay
