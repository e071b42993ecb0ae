#include "io/session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>

namespace burrow::io {
namespace {

constexpr auto kLinger = std::chrono::seconds(2);  // how long close() lets queued frames out

template <class... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace

Session::Session(asio::any_io_executor ex, std::unique_ptr<ByteStream> transport, proto::Role role,
                 proto::MuxLimits limits, std::shared_ptr<SessionHandler> handler, Liveness liveness)
    : executor_(std::move(ex)),
      transport_(std::move(transport)),
      mux_(role, limits),
      handler_(std::move(handler)),
      wake_(executor_),
      linger_(executor_),
      heartbeat_(executor_),
      liveness_(liveness),
      last_heard_(std::chrono::steady_clock::now()),
      peer_(transport_->describe()) {}

void Session::start() {
    auto self = shared_from_this();
    auto done = [self](std::exception_ptr e, const char* what) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            self->close(std::string(what) + ": " + ex.what());
        }
    };
    asio::co_spawn(executor_, [self] { return self->read_loop(); },
                   [done](std::exception_ptr e) { done(e, "read"); });
    asio::co_spawn(executor_, [self] { return self->write_loop(); },
                   [done](std::exception_ptr e) { done(e, "write"); });
    asio::co_spawn(executor_, [self] { return self->liveness_loop(); },
                   [done](std::exception_ptr e) { done(e, "liveness"); });
}

awaitable<void> Session::read_loop() {
    std::array<std::uint8_t, 64 * 1024> buf;
    while (!closed_) {
        const std::size_t n = co_await transport_->read_some(buf);
        if (closed_) break;
        if (n == 0) {
            close("the peer closed the connection");
            break;
        }
        last_heard_ = std::chrono::steady_clock::now();
        const auto ec = mux_.receive(std::span<const std::uint8_t>(buf.data(), n));
        dispatch();
        if (ec) {
            close("protocol error: " + ec.message());
            break;
        }
        flush();
    }
}

awaitable<void> Session::write_loop() {
    for (;;) {
        const auto out = mux_.pending_output();
        if (out.empty()) {
            if (closed_) break;
            writer_idle_ = true;
            wake_.expires_at(asio::steady_timer::time_point::max());
            error_code ec;
            co_await wake_.async_wait(redirect_error(use_awaitable, ec));
            writer_idle_ = false;
            continue;
        }
        co_await transport_->write_all(out);
        mux_.consume_output(out.size());
    }
    linger_.cancel();
    transport_->close();
}

awaitable<void> Session::liveness_loop() {
    while (!closed_) {
        heartbeat_.expires_after(liveness_.ping_interval);
        error_code ec;
        co_await heartbeat_.async_wait(redirect_error(use_awaitable, ec));
        if (closed_) break;
        const auto silent = std::chrono::steady_clock::now() - last_heard_;
        if (silent >= liveness_.dead_after) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(silent).count();
            const std::string why = "no sign of life from the peer for " + std::to_string(ms / 1000) + " s";
            mux_.goaway(proto::Errc::timeout, why);
            close(why);
            break;
        }
        mux_.ping(++pings_sent_);
        flush();
    }
}

void Session::flush() {
    if (writer_idle_) wake_.cancel();
}

void Session::close(const std::string& why) {
    if (closed_) return;
    closed_ = true;
    spdlog::debug("session {}: closing: {}", peer_, why);
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, h] : streams) h->on_session_closed(why);
    if (auto h = handler_) {
        handler_.reset();
        h->on_closed(*this, why);
    }
    heartbeat_.cancel();
    flush();
    // The writer closes the transport once the queue is out; this bounds the wait.
    linger_.expires_after(kLinger);
    linger_.async_wait([self = shared_from_this()](error_code ec) {
        if (!ec) self->transport_->close();
    });
}

void Session::attach(proto::StreamId id, std::shared_ptr<StreamHandler> handler) {
    if (closed_) {
        handler->on_session_closed("session closed");
        return;
    }
    streams_[id] = std::move(handler);
}

void Session::detach(proto::StreamId id) { streams_.erase(id); }

StreamHandler* Session::handler_for(proto::StreamId id) {
    const auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.get();
}

void Session::dispatch() {
    while (auto event = mux_.poll_event()) {
        handle(std::move(*event));
        if (closed_) return;
    }
}

void Session::handle(proto::MuxEvent&& event) {
    using namespace proto;
    // Keeps a handler alive while it runs, even if it detaches itself.
    auto with_stream = [this](StreamId id, auto&& fn) {
        const auto it = streams_.find(id);
        if (it == streams_.end()) return;
        auto keep = it->second;
        fn(*keep);
    };
    std::visit(
        Overloaded{
            [&](Ready&) {
                if (handler_) handler_->on_ready(*this);
            },
            [&](StreamOpened& e) {
                if (handler_)
                    handler_->on_stream_opened(*this, e.stream, e.target, e.opener_key);
                else
                    mux_.reject(e.stream, Errc::going_away, "session is closing");
            },
            [&](StreamAccepted& e) { with_stream(e.stream, [&](StreamHandler& h) { h.on_accepted(e.acceptor_key); }); },
            [&](StreamRejected& e) {
                with_stream(e.stream, [&](StreamHandler& h) { h.on_rejected(e.code, e.reason); });
                detach(e.stream);
            },
            [&](StreamData& e) {
                if (handler_for(e.stream))
                    with_stream(e.stream, [&](StreamHandler& h) { h.on_data(std::move(e.bytes)); });
                else
                    mux_.grant(e.stream, e.bytes.size());
            },
            [&](StreamFin& e) { with_stream(e.stream, [](StreamHandler& h) { h.on_fin(); }); },
            [&](StreamReset& e) {
                with_stream(e.stream, [&](StreamHandler& h) { h.on_reset(e.code, e.reason); });
                detach(e.stream);
            },
            [&](StreamWritable& e) { with_stream(e.stream, [](StreamHandler& h) { h.on_writable(); }); },
            [&](ControlReceived& e) {
                if (handler_) handler_->on_control(*this, std::move(e.message));
            },
            [&](PongReceived&) {},
            [&](GoAwayReceived& e) {
                spdlog::info("session {}: peer is going away: {} ({})", peer_, e.reason, errc_name(e.code));
                if (handler_) handler_->on_goaway(*this, e.code, e.reason);
                if (e.code != Errc::going_away) close("refused by the peer: " + e.reason);
            },
        },
        event);
}

}  // namespace burrow::io
