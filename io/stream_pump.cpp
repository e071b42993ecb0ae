#include "io/stream_pump.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "io/deadline.hpp"
#include "io/scratch.hpp"
#include "io/spawn.hpp"

namespace burrow::io {
namespace {

PumpError end_to_end_error(std::error_code ec) { return PumpError{PumpErrc::end_to_end, ec, ec.message()}; }

std::string reason_or_name(proto::Errc code, const std::string& reason) {
    return reason.empty() ? std::string(proto::errc_name(code)) : reason;
}

bool over(StreamPump::HalfState state) {
    return state == StreamPump::HalfState::ended || state == StreamPump::HalfState::cut;
}

}  // namespace

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
    if (phase_ != Phase::waiting) return;
    if (!local_ && dial_) {
        phase_ = Phase::dialing;
        auto self = shared_from_this();
        spawn(session_->executor(), [self] { return self->dial_local(); }, "stream pump",
              [self](const std::string& what) {
                  self->abort(PumpError{PumpErrc::dial_failed, {}, what}, proto::Errc::internal_error);
                  if (!self->local_) {  // the halves never ran
                      self->end_half(self->up_);
                      self->end_half(self->down_);
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
    Deadline deadline(session_->executor(), handshake_deadline_, [self] {
        if (self->phase_ != Phase::dialing || self->handshake_done()) return;
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(self->handshake_deadline_).count();
        self->abort(PumpError{PumpErrc::handshake_timeout, {},
                              "the client did not finish the end-to-end handshake within " +
                                  std::to_string(seconds) + " s"},
                    proto::Errc::timeout);
    });
    while (phase_ == Phase::dialing && !handshake_done()) {
        if (!drain_outbox()) session_->mux().want_writable(id_);  // the handshake's own messages
        co_await up_wake_.park();
    }
    deadline.disarm();
    Dialed dialed;
    if (phase_ == Phase::dialing) dialed = co_await dial_();
    if (phase_ == Phase::dialing && !dialed.stream)
        abort(PumpError{PumpErrc::dial_failed, dialed.cause, dialed.failure}, proto::Errc::service_unavailable);
    if (phase_ != Phase::dialing) {
        if (dialed.stream) dialed.stream->reset();  // no end of stream came: the service must not see one
        end_half(up_);
        end_half(down_);
        co_return;
    }
    local_ = std::move(dialed.stream);
    run_halves();
}

// A half that throws anything but a failed local connection aborts the
// pump too; its error reaches done_, so spawn() logs it at debug only.
void StreamPump::run_halves() {
    phase_ = Phase::pumping;
    auto self = shared_from_this();
    const auto fail = [self](HalfState& state) {
        return [self, &state](const std::string& what) {
            self->abort(PumpError{PumpErrc::local_failed, {}, what});
            self->end_half(state);
        };
    };
    spawn(session_->executor(), [self] { return self->half(&StreamPump::upload, self->up_); }, "stream pump",
          fail(up_), spdlog::level::debug);
    spawn(session_->executor(), [self] { return self->half(&StreamPump::download, self->down_); }, "stream pump",
          fail(down_), spdlog::level::debug);
}

awaitable<void> StreamPump::half(awaitable<void> (StreamPump::*direction)(), HalfState& state) {
    std::optional<PumpError> failed;  // no co_await in a catch block: acted on after it
    try {
        co_await (this->*direction)();
    } catch (const boost::system::system_error& e) {
        failed = PumpError{PumpErrc::local_failed, e.code(), e.what()};
    }
    if (failed) abort(std::move(*failed));
    end_half(state);
}

void StreamPump::collect_codec_output() {
    if (!codec_) return;
    outbox_.append(codec_->take_output());
    if (!outbox_.empty()) up_wake_.wake();
}

bool StreamPump::drain_outbox() {
    bool sent = false;
    while (!outbox_.empty()) {
        const auto front = outbox_.front();
        const std::size_t n = session_->mux().send(id_, front);
        outbox_.consume(n);
        sent = sent || n > 0;
        if (n < front.size()) break;
    }
    if (sent) session_->flush();
    return outbox_.empty();
}

awaitable<void> StreamPump::upload() {
    auto& mux = session_->mux();
    while (phase_ == Phase::pumping) {
        if (!mux.stream_exists(id_)) co_return;
        if (!drain_outbox()) {
            mux.want_writable(id_);
            co_await up_wake_.park();
            continue;
        }
        if (up_ == HalfState::ending) {  // the end-of-stream record is out: FIN follows it
            mux.finish(id_);
            session_->flush();
            up_ = HalfState::ended;
            co_return;
        }
        if (!handshake_done()) {
            co_await up_wake_.park();
            continue;
        }
        // The handshake's messages are queued: what follows is records, which
        // links need not seal again.
        if (codec_ && codec_->sends_records()) mux.mark_end_to_end(id_);
        const std::size_t room = mux.send_capacity(id_);
        const std::size_t fits = codec_ ? codec_->plain_fits(room) : room;
        if (fits == 0) {
            mux.want_writable(id_);
            co_await up_wake_.park();
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
                std::vector<std::uint8_t> end_record;
                if (auto ec = codec_->finish(end_record)) {
                    abort(end_to_end_error(ec), proto::Errc::internal_error);
                    co_return;
                }
                outbox_.append(std::move(end_record));
            }
            up_ = HalfState::ending;
            continue;
        }
        const std::span<const std::uint8_t> plain = buf.first(n);
        if (traffic_) traffic_->bytes_sent += n;
        if (codec_) {
            auto& sealed = encode_scratch();
            sealed.clear();
            if (auto ec = codec_->encode(plain, sealed)) {
                abort(end_to_end_error(ec), proto::Errc::internal_error);
                co_return;
            }
            sodium_memzero(buf.data(), n);  // end-to-end plaintext does not outlive its use
            const std::size_t taken = mux.send(id_, sealed);
            outbox_.append(std::span<const std::uint8_t>(sealed).subspan(taken));
        } else {
            mux.send(id_, plain);
        }
        session_->flush();
        co_await let_others_run();
    }
}

awaitable<void> StreamPump::download() {
    auto& mux = session_->mux();
    while (phase_ == Phase::pumping) {
        if (inbox_.empty()) {
            if (down_ == HalfState::ending) {
                local_->shutdown_send();
                down_ = HalfState::ended;
                co_return;
            }
            co_await down_wake_.park();
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
        std::string refusal;
        codec_ = codec_factory_(acceptor_key, refusal);
        if (!codec_) {
            abort(PumpError{PumpErrc::refused, {}, refusal}, proto::Errc::not_authorized);
            return;
        }
        collect_codec_output();
    }
    run();
}

void StreamPump::on_rejected(proto::Errc code, const std::string& reason) {
    abort(PumpError{PumpErrc::rejected, code, reason_or_name(code, reason)});
}

void StreamPump::on_data(std::vector<std::uint8_t>&& bytes) {
    const std::size_t grant = bytes.size();
    inbox_grant_ += grant;
    if (codec_) {
        std::vector<std::uint8_t> plain;
        if (auto ec = codec_->decode(bytes, plain)) {
            inbox_.push_back(Chunk{{}, grant});  // so the credit is returned
            abort(end_to_end_error(ec), proto::Errc::protocol_error);
            return;
        }
        collect_codec_output();
        if (codec_->can_encode()) up_wake_.wake();
        bytes = std::move(plain);
    }
    inbox_.push_back(Chunk{std::move(bytes), grant});
    down_wake_.wake();
}

void StreamPump::on_fin() {
    if (codec_) {
        if (auto ec = codec_->on_peer_fin()) {
            abort(end_to_end_error(ec), proto::Errc::protocol_error);
            return;
        }
    }
    if (down_ == HalfState::open) down_ = HalfState::ending;
    down_wake_.wake();
}

void StreamPump::on_reset(proto::Errc code, const std::string& reason) {
    abort(PumpError{PumpErrc::reset_by_peer, code, reason_or_name(code, reason)});
}

void StreamPump::on_writable() { up_wake_.wake(); }

void StreamPump::on_session_closed(const std::string& why) {
    abort(PumpError{PumpErrc::session_closed, {}, why});
}

void StreamPump::abort(PumpError error, proto::Errc code) {
    if (phase_ == Phase::stopping || phase_ == Phase::finished) return;
    const bool idle = phase_ == Phase::waiting;  // no coroutine runs that would end the halves
    phase_ = Phase::stopping;
    error_ = std::move(error);
    auto& mux = session_->mux();
    if (mux.stream_exists(id_)) {
        mux.reset(id_, code, error_.message());
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
        if (down_ == HalfState::ended)
            local_->close();
        else
            local_->reset();
    }
    up_wake_.wake();
    down_wake_.wake();
    if (idle) {
        end_half(up_);
        end_half(down_);
    }
}

void StreamPump::end_half(HalfState& state) {
    if (state != HalfState::ended) state = HalfState::cut;
    if (over(up_) && over(down_)) finish();
}

void StreamPump::finish() {
    phase_ = Phase::finished;
    if (local_) local_->close();
    session_->detach(id_);
    if (done_) {
        auto done = std::move(done_);
        done(error_);
    }
}

}  // namespace burrow::io
