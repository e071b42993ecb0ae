#include "io/stream_pump.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "io/scratch.hpp"
#include "io/spawn.hpp"

namespace burrow::io {

StreamPump::StreamPump(std::shared_ptr<Session> session, proto::StreamId id, std::unique_ptr<ByteStream> local,
                       DoneFn done)
    : session_(std::move(session)),
      id_(id),
      local_(std::move(local)),
      done_(std::move(done)),
      up_wake_(session_->executor()),
      down_wake_(session_->executor()) {}

StreamPump::~StreamPump() {
    if (traffic_) --traffic_->connections_open;
}

void StreamPump::count_into(std::shared_ptr<LocalTraffic> traffic) {
    if (traffic_) --traffic_->connections_open;
    traffic_ = std::move(traffic);
    ++traffic_->connections;
    ++traffic_->connections_open;
}

void StreamPump::set_codec(std::unique_ptr<StreamCodec> codec) {
    codec_ = std::move(codec);
    collect_codec_output();
}

void StreamPump::dial_local_after_handshake(LocalDial dial, std::chrono::milliseconds deadline) {
    dial_ = std::move(dial);
    handshake_deadline_ = deadline;
}

void StreamPump::start(bool opened) {
    session_->attach(id_, shared_from_this());
    if (opened) run();
}

void StreamPump::run() {
    if (running_ || aborted_) return;
    running_ = true;
    if (!local_ && dial_) {
        auto self = shared_from_this();
        spawn(session_->executor(), [self] { return self->dial_local(); }, "stream pump",
              [self](const std::string& what) {
                  self->abort(what, proto::Errc::internal_error);
                  if (!self->local_) {
                      self->halves_left_ = 1;
                      self->finish_half();
                  }
              },
              spdlog::level::debug);
        return;
    }
    run_halves();
}

// Waits for the handshake (the codec can encode once the peer proved its key),
// then connects the local side and starts pumping; ends the pump otherwise.
awaitable<void> StreamPump::dial_local() {
    auto self = shared_from_this();
    asio::steady_timer deadline(session_->executor());
    deadline.expires_after(handshake_deadline_);
    deadline.async_wait([self](const error_code& ec) {
        if (ec) return;
        self->handshake_late_ = true;
        if (self->up_waiting_) self->up_wake_.cancel();
    });
    while (!aborted_ && !handshake_late_ && codec_ && !codec_->can_encode()) {
        if (!drain_outbox()) session_->mux().want_writable(id_);  // the handshake's own messages
        co_await park(up_wake_, up_waiting_);
    }
    deadline.cancel();
    if (!aborted_ && handshake_late_)
        abort("the client did not finish the end-to-end handshake within " +
                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(handshake_deadline_).count()) + " s",
              proto::Errc::timeout);
    Dialed dialed;
    if (!aborted_) dialed = co_await dial_();
    if (!aborted_ && !dialed.stream) abort(dialed.failure, proto::Errc::service_unavailable);
    if (aborted_) {
        if (dialed.stream) dialed.stream->reset();  // no end of stream came: the service must not see one
        halves_left_ = 1;
        finish_half();
        co_return;
    }
    local_ = std::move(dialed.stream);
    run_halves();
}

// A half that throws (the local connection failed) aborts the pump: its
// error reaches done_, so spawn() logs it at debug only.
void StreamPump::run_halves() {
    auto self = shared_from_this();
    const auto on_failure = [self](const std::string& what) {
        self->abort(what);
        self->finish_half();
    };
    spawn(session_->executor(), [self] { return self->half(&StreamPump::upload); }, "stream pump", on_failure,
          spdlog::level::debug);
    spawn(session_->executor(), [self] { return self->half(&StreamPump::download); }, "stream pump", on_failure,
          spdlog::level::debug);
}

awaitable<void> StreamPump::half(awaitable<void> (StreamPump::*direction)()) {
    co_await (this->*direction)();
    finish_half();
}

awaitable<void> StreamPump::park(asio::steady_timer& timer, bool& waiting) {
    timer.expires_at(asio::steady_timer::time_point::max());
    waiting = true;
    error_code ec;
    co_await timer.async_wait(redirect_error(use_awaitable, ec));
    waiting = false;
}

void StreamPump::collect_codec_output() {
    if (!codec_) return;
    auto out = codec_->take_output();
    outbox_.insert(outbox_.end(), out.begin(), out.end());
    if (!outbox_.empty() && up_waiting_) up_wake_.cancel();
}

bool StreamPump::drain_outbox() {
    if (outbox_.empty()) return true;
    const std::size_t n = session_->mux().send(id_, outbox_);
    outbox_.erase(outbox_.begin(), outbox_.begin() + static_cast<std::ptrdiff_t>(n));
    if (n > 0) session_->flush();
    if (!outbox_.empty()) return false;
    if (outbox_.capacity() > 4096) outbox_ = {};  // an idle stream keeps no big buffer
    return true;
}

awaitable<void> StreamPump::upload() {
    auto& mux = session_->mux();
    bool local_ended = false;  // local EOF seen: FIN follows once the outbox (end-of-stream record) is out
    while (!aborted_) {
        if (!mux.stream_exists(id_)) co_return;
        if (!drain_outbox()) {
            mux.want_writable(id_);
            co_await park(up_wake_, up_waiting_);
            continue;
        }
        if (local_ended) {
            mux.finish(id_);
            session_->flush();
            co_return;
        }
        if (codec_ && !codec_->can_encode()) {  // the handshake is still running
            co_await park(up_wake_, up_waiting_);
            continue;
        }
        const std::size_t room = mux.send_capacity(id_);
        const std::size_t fits = codec_ ? codec_->plain_fits(room) : room;
        if (fits == 0) {
            mux.want_writable(id_);
            co_await park(up_wake_, up_waiting_);
            continue;
        }
        const auto buf = read_scratch();
        const auto got = local_->try_read(buf.first(std::min(fits, buf.size())));
        if (!got) {
            co_await local_->wait_readable();
            continue;
        }
        const std::size_t n = *got;
        if (n == 0) {
            if (codec_) {
                if (auto ec = codec_->finish(outbox_)) {
                    abort("end-to-end: " + ec.message(), proto::Errc::internal_error);
                    co_return;
                }
            }
            local_ended = true;
            continue;
        }
        const std::span<const std::uint8_t> plain = buf.first(n);
        if (traffic_) traffic_->bytes_sent += n;
        if (codec_) {
            auto& sealed = encode_scratch();
            sealed.clear();
            if (auto ec = codec_->encode(plain, sealed)) {
                abort("end-to-end: " + ec.message(), proto::Errc::internal_error);
                co_return;
            }
            sodium_memzero(buf.data(), n);  // end-to-end plaintext does not outlive its use
            const std::size_t taken = mux.send(id_, sealed);
            outbox_.insert(outbox_.end(), sealed.begin() + static_cast<std::ptrdiff_t>(taken), sealed.end());
        } else {
            mux.send(id_, plain);
        }
        session_->flush();
        co_await let_others_run();
    }
}

awaitable<void> StreamPump::download() {
    auto& mux = session_->mux();
    while (!aborted_) {
        if (inbox_.empty()) {
            if (peer_fin_) {
                local_->shutdown_send();
                peer_end_written_ = true;
                co_return;
            }
            co_await park(down_wake_, down_waiting_);
            continue;
        }
        auto chunk = std::move(inbox_.front());
        inbox_.pop_front();
        if (!chunk.bytes.empty()) co_await local_->write_all(chunk.bytes);
        if (traffic_) traffic_->bytes_received += chunk.bytes.size();
        if (codec_) sodium_memzero(chunk.bytes.data(), chunk.bytes.size());
        inbox_grant_ -= chunk.grant;
        mux.grant(id_, chunk.grant, proto::Clock::now());
        session_->flush();
    }
}

void StreamPump::on_accepted(const std::optional<proto::PeerKey>& acceptor_key) {
    if (codec_factory_) {
        std::string error;
        codec_ = codec_factory_(acceptor_key, error);
        if (!codec_) {
            abort(error, proto::Errc::not_authorized);
            return;
        }
        collect_codec_output();
    }
    run();
}

void StreamPump::on_rejected(proto::Errc code, const std::string& reason) {
    error_ = reason.empty() ? std::string(proto::errc_name(code)) : reason;
    abort(error_);
}

void StreamPump::on_data(std::vector<std::uint8_t>&& bytes) {
    const std::size_t grant = bytes.size();
    inbox_grant_ += grant;
    if (codec_) {
        std::vector<std::uint8_t> plain;
        if (auto ec = codec_->decode(bytes, plain)) {
            inbox_.push_back(Chunk{{}, grant});  // so the credit is returned
            abort("end-to-end: " + ec.message(), proto::Errc::protocol_error);
            return;
        }
        collect_codec_output();
        if (codec_->can_encode() && up_waiting_) up_wake_.cancel();
        bytes = std::move(plain);
    }
    inbox_.push_back(Chunk{std::move(bytes), grant});
    if (down_waiting_) down_wake_.cancel();
}

void StreamPump::on_fin() {
    if (codec_) {
        if (auto ec = codec_->on_peer_fin()) {
            abort("end-to-end: " + ec.message(), proto::Errc::protocol_error);
            return;
        }
    }
    peer_fin_ = true;
    if (down_waiting_) down_wake_.cancel();
}

void StreamPump::on_reset(proto::Errc code, const std::string& reason) {
    abort("stream reset by peer: " + (reason.empty() ? std::string(proto::errc_name(code)) : reason));
}

void StreamPump::on_writable() {
    if (up_waiting_) up_wake_.cancel();
}

void StreamPump::on_session_closed(const std::string& why) { abort("session closed: " + why); }

void StreamPump::abort(const std::string& why, proto::Errc code) {
    if (aborted_ || finished_) return;
    aborted_ = true;
    if (error_.empty()) error_ = why;
    auto& mux = session_->mux();
    if (mux.stream_exists(id_)) {
        mux.reset(id_, code, why);
        session_->flush();
    }
    mux.grant(id_, inbox_grant_, proto::Clock::now());  // discarded bytes still free the session window
    if (codec_)
        while (!inbox_.empty()) {
            sodium_memzero(inbox_.front().bytes.data(), inbox_.front().bytes.size());
            inbox_.pop_front();
        }
    inbox_.clear();
    inbox_grant_ = 0;
    // What the local side got of the peer's direction is a prefix unless the
    // peer's end came and was passed on: only then may it look complete.
    if (local_) {  // none yet while dial_local waits; it ends the pump then
        if (peer_end_written_)
            local_->close();
        else
            local_->reset();
    }
    if (up_waiting_) up_wake_.cancel();
    if (down_waiting_) down_wake_.cancel();
    if (!running_) {  // never got going: no coroutine will finish a half
        halves_left_ = 1;
        finish_half();
    }
}

void StreamPump::finish_half() {
    if (--halves_left_ > 0) return;
    finished_ = true;
    if (local_) local_->close();
    session_->detach(id_);
    if (done_) {
        auto done = std::move(done_);
        done(error_);
    }
}

}  // namespace burrow::io
