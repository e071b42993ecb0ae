#include "io/session.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "io/scratch.hpp"
#include "io/spawn.hpp"

namespace burrow::io {
namespace {

constexpr auto kLinger = std::chrono::seconds(2);  // how long close() lets queued frames out
constexpr std::size_t kMaxUnacknowledged = 16 * 1024 * 1024;

// Never more unacknowledged than the peer could have in flight under the session's credit.
proto::ResumptionLimits resumption_limits(const proto::MuxLimits& mux, const Liveness& liveness) {
    proto::ResumptionLimits limits;
    limits.max_unacknowledged = std::min<std::size_t>(kMaxUnacknowledged, mux.session_window);
    limits.ack_deadline = liveness.dead_after;
    return limits;
}

template <class... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace

Session::Session(asio::any_io_executor ex, std::unique_ptr<ByteStream> transport, proto::Role role,
                 proto::MuxLimits limits, std::shared_ptr<SessionHandler> handler, Liveness liveness,
                 std::vector<std::uint8_t> initial_input)
    : executor_(std::move(ex)),
      transport_(std::move(transport)),
      mux_(role, limits),
      handler_(std::move(handler)),
      wake_(executor_),
      linger_(executor_),
      heartbeat_(executor_),
      grace_(executor_),
      liveness_(liveness),
      last_heard_(std::chrono::steady_clock::now()),
      peer_(transport_->describe()),
      resumption_(role, resumption_limits(limits, liveness)),
      initial_input_(std::move(initial_input)) {}

void Session::start() {
    spawn_loops();
    auto self = shared_from_this();
    spawn(executor_, [self] { return self->liveness_loop(); }, "session " + peer_ + ": liveness",
          [self](const std::string& what) { self->close("liveness: " + what); });
}

void Session::spawn_loops() {
    auto self = shared_from_this();
    const unsigned gen = generation_;
    auto t = transport_;
    // A transport that fails is routine: transport_failed() says what happens next.
    auto on_error = [self, gen](const std::string& what) { self->transport_failed(what, gen); };
    spawn(executor_, [self, t, gen] { return self->read_loop(t, gen); }, "session " + peer_ + ": read", on_error,
          spdlog::level::debug);
    spawn(executor_, [self, t, gen] { return self->write_loop(t, gen); }, "session " + peer_ + ": write", on_error,
          spdlog::level::debug);
}

// Bytes count as received once their frame is whole: a new transport
// starts at a frame boundary, where both ends of a link begin to tell sealed
// bytes from end-to-end ones (docs/PROTOCOL.md §1.3, §3.6).
std::error_code Session::receive(std::span<const std::uint8_t> bytes) {
    const std::size_t partial_before = mux_.partial_frame_bytes();
    const auto ec = mux_.receive(bytes);
    resumption_.received(partial_before + bytes.size() - mux_.partial_frame_bytes());
    return ec;
}

awaitable<void> Session::read_loop(std::shared_ptr<ByteStream> transport, unsigned generation) {
    if (!initial_input_.empty()) {
        const auto input = std::move(initial_input_);
        initial_input_.clear();
        const auto ec = receive(input);
        dispatch();
        if (ec) {
            close("protocol error: " + ec.message());
            co_return;
        }
    }
    while (!closed_ && generation == generation_) {
        const auto buf = read_scratch();
        const auto got = transport->try_read(buf);
        if (!got) {
            co_await transport->wait_readable();
            continue;
        }
        const std::size_t n = *got;
        if (n == 0) {
            transport_failed("the peer closed the connection", generation);
            break;
        }
        last_heard_ = std::chrono::steady_clock::now();
        const auto ec = receive(buf.first(n));
        dispatch();
        if (ec) {
            close("protocol error: " + ec.message());
            break;
        }
        if (const auto ack = resumption_.ack_due(false)) mux_.ack(*ack);
        flush();
        co_await let_others_run();
    }
}

awaitable<void> Session::write_loop(std::shared_ptr<ByteStream> transport, unsigned generation) {
    if (!replay_.empty()) {
        const auto replay = std::move(replay_);
        replay_.clear();
        co_await transport->write_all(replay);
    }
    while (generation == generation_) {
        const auto out = resumption_.may_write() ? mux_.pending_output() : std::span<const std::uint8_t>{};
        if (out.empty()) {
            if (closed_) break;
            writer_idle_ = true;
            wake_.expires_at(asio::steady_timer::time_point::max());
            error_code ec;
            co_await wake_.async_wait(redirect_error(use_awaitable, ec));
            writer_idle_ = false;
            continue;
        }
        // A resumable session hands its output to the resend buffer and writes
        // from there, so the mux's output is free at once. The transport takes
        // the bytes before it first waits (a link seals them at once), so an
        // ACK that drops them from the buffer meanwhile takes nothing from under it.
        if (resumption_.enabled()) {
            const auto kept = resumption_.written(mux_.take_output(), proto::Clock::now());
            co_await transport->write_all(kept);
        } else {
            const auto bytes = resumption_.written(out, proto::Clock::now());
            co_await transport->write_all(bytes);
            mux_.consume_output(out.size());
        }
    }
    if (closed_ && generation == generation_) {
        linger_.cancel();
        transport->close();
        transport_closed_ = true;
    }
}

awaitable<void> Session::liveness_loop() {
    while (!closed_) {
        heartbeat_.expires_after(liveness_.ping_interval);
        error_code ec;
        co_await heartbeat_.async_wait(redirect_error(use_awaitable, ec));
        if (closed_) break;
        if (suspended_) continue;
        const auto silent = std::chrono::steady_clock::now() - last_heard_;
        if (silent >= liveness_.dead_after) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(silent).count();
            const std::string why = "no sign of life from the peer for " + std::to_string(ms / 1000) + " s";
            if (!resumption_.enabled()) mux_.goaway(proto::Errc::timeout, why);
            transport_failed(why, generation_);
            continue;
        }
        if (resumption_.ack_overdue(proto::Clock::now())) {
            // It keeps this side holding what it wrote, up to the bound, for nothing.
            const std::string why = "the peer stopped acknowledging what it received (" +
                                    std::to_string(resumption_.unacknowledged()) + " bytes held)";
            mux_.goaway(proto::Errc::protocol_error, why);
            close(why);
            break;
        }
        probe_rtt();
        if (const auto ack = resumption_.ack_due(true)) mux_.ack(*ack);
        flush();
    }
}

void Session::transport_failed(const std::string& why, unsigned generation) {
    if (closed_ || suspended_ || generation != generation_) return;
    if (!resumption_.enabled()) {
        close(why);
        return;
    }
    suspended_ = true;
    ++generation_;  // the loops on the broken transport stop
    transport_->close();
    if (writer_idle_) wake_.cancel();
    spdlog::info("session {}: transport lost ({}); waiting up to {} s to resume", peer_, why,
                 liveness_.resume_grace.count() / 1000);
    grace_.expires_after(liveness_.resume_grace);
    grace_.async_wait([self = shared_from_this(), why](error_code ec) {
        if (!ec && self->suspended_) self->close("lost the connection (" + why + ") and it was not resumed in time");
    });
    if (auto h = handler_) h->on_suspended(*this, why);
}

bool Session::resume(std::unique_ptr<ByteStream> transport, std::uint64_t peer_received,
                     std::vector<std::uint8_t> preamble) {
    if (closed_ || !suspended_) return false;
    replay_ = std::move(preamble);
    const std::size_t before = replay_.size();
    if (!resumption_.replay(peer_received, replay_, proto::Clock::now())) {
        close("cannot resume: the peer has received " + std::to_string(peer_received) + " of the " +
              std::to_string(resumption_.written_total()) + " bytes written, and the ones it lacks are not kept");
        return false;
    }
    const std::size_t replayed = replay_.size() - before;
    mux_.drop_partial_frame();
    transport_ = std::move(transport);
    peer_ = transport_->describe();
    suspended_ = false;
    grace_.cancel();
    last_heard_ = std::chrono::steady_clock::now();
    mux_.set_min_rtt({});  // another path: measured again
    probe_rtt();
    spdlog::info("session {}: resumed ({} bytes replayed)", peer_, replayed);
    spawn_loops();
    if (auto h = handler_) h->on_resumed(*this);
    return true;
}

void Session::probe_rtt() {
    probe_payload_ = ++pings_sent_;
    probe_sent_ = proto::Clock::now();
    probe_offset_ = resumption_.written_total();
    mux_.ping(probe_payload_);
}

void Session::on_pong(std::uint64_t payload) {
    if (payload != probe_payload_ || probe_sent_ == proto::Clock::time_point{}) return;
    const auto now = proto::Clock::now();
    const auto rtt = now - probe_sent_;
    probe_sent_ = {};
    resumption_.peer_reached(probe_offset_, now);
    const auto known = mux_.min_rtt();
    if (known == proto::Clock::duration::zero() || rtt < known) mux_.set_min_rtt(rtt);
}

void Session::flush() {
    if (writer_idle_) wake_.cancel();
}

void Session::close(const std::string& why) {
    if (closed_) return;
    closed_ = true;
    spdlog::debug("session {}: closing: {}", peer_, why);
    mux_.goaway(proto::Errc::cancelled, why);  // no-op if a GOAWAY went out already
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, h] : streams) h->on_session_closed(why);
    if (auto h = handler_) {
        handler_.reset();
        h->on_closed(*this, why);
    }
    heartbeat_.cancel();
    grace_.cancel();
    if (suspended_) {
        transport_->close();
        return;
    }
    flush();
    // The writer closes the transport once the queue is out; this bounds the wait.
    linger_.expires_after(kLinger);
    linger_.async_wait([self = shared_from_this(), t = transport_](error_code ec) {
        if (ec) return;
        t->close();
        self->transport_closed_ = true;
    });
}

void Session::send_control(const proto::ControlMessage& message) {
    mux_.send_control(message);
    flush();
}

void Session::reject(proto::StreamId id, proto::Errc code, std::string_view reason) {
    mux_.reject(id, code, reason);
    flush();
}

void Session::goaway(proto::Errc code, std::string_view reason) {
    mux_.goaway(code, reason);
    flush();
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
                probe_rtt();
                flush();
                if (handler_) handler_->on_ready(*this);
            },
            [&](StreamOpened& e) {
                if (handler_)
                    handler_->on_stream_opened(*this, e.stream, e.target, e.opener_key);
                else
                    mux_.reject(e.stream, Errc::going_away, "session is closing");
            },
            [&](StreamAccepted& e) {
                with_stream(e.stream, [&](StreamHandler& h) { h.on_accepted(e.acceptor_key); });
            },
            [&](StreamRejected& e) {
                with_stream(e.stream, [&](StreamHandler& h) { h.on_rejected(e.code, e.reason); });
                detach(e.stream);
            },
            [&](StreamData& e) {
                if (handler_for(e.stream))
                    with_stream(e.stream, [&](StreamHandler& h) { h.on_data(std::move(e.bytes)); });
                else
                    mux_.grant(e.stream, e.bytes.size(), proto::Clock::now());
            },
            [&](StreamEndToEnd& e) { with_stream(e.stream, [](StreamHandler& h) { h.on_end_to_end(); }); },
            [&](StreamFin& e) { with_stream(e.stream, [](StreamHandler& h) { h.on_fin(); }); },
            [&](StreamReset& e) {
                with_stream(e.stream, [&](StreamHandler& h) { h.on_reset(e.code, e.reason); });
                detach(e.stream);
            },
            [&](StreamWritable& e) { with_stream(e.stream, [](StreamHandler& h) { h.on_writable(); }); },
            [&](ControlReceived& e) {
                if (auto* ticket = std::get_if<ResumeTicket>(&e.message)) {
                    if (resumption_.take_ticket(*ticket)) close("protocol error: a second RESUME_TICKET");
                    return;
                }
                if (handler_) handler_->on_control(*this, std::move(e.message));
            },
            [&](PongReceived& e) { on_pong(e.payload); },
            [&](AckReceived& e) {
                if (resumption_.on_ack(e.total, proto::Clock::now())) {
                    close("protocol error: the peer acknowledged bytes never sent");
                    return;
                }
                flush();  // a writer held back by the unacknowledged bound may go on
            },
            [&](GoAwayReceived& e) {
                spdlog::info("session {}: peer is going away: {} ({})", peer_, e.reason, errc_name(e.code));
                if (handler_) handler_->on_goaway(*this, e.code, e.reason);
                if (e.code == Errc::cancelled)
                    close("closed by the peer (" + e.reason + ")");
                else if (e.code != Errc::going_away)
                    close("refused by the peer: " + e.reason);
            },
        },
        event);
}

}  // namespace burrow::io
