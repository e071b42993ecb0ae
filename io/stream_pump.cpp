#include "io/stream_pump.hpp"

#include <spdlog/spdlog.h>

#include <array>

namespace burrow::io {

StreamPump::StreamPump(std::shared_ptr<Session> session, proto::StreamId id, std::unique_ptr<ByteStream> local,
                       DoneFn done)
    : session_(std::move(session)),
      id_(id),
      local_(std::move(local)),
      done_(std::move(done)),
      up_wake_(session_->executor()),
      down_wake_(session_->executor()) {}

void StreamPump::start(bool opened) {
    session_->attach(id_, shared_from_this());
    if (opened) run();
}

void StreamPump::run() {
    if (running_ || aborted_) return;
    running_ = true;
    auto self = shared_from_this();
    auto on_end = [self](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                self->abort(ex.what());
            }
        }
        self->finish_half();
    };
    asio::co_spawn(session_->executor(), [self] { return self->upload(); }, on_end);
    asio::co_spawn(session_->executor(), [self] { return self->download(); }, on_end);
}

void StreamPump::wake(asio::steady_timer& t, bool waiting) {
    if (waiting) t.cancel();
}

awaitable<void> StreamPump::upload() {
    std::array<std::uint8_t, 64 * 1024> buf;
    auto& mux = session_->mux();
    while (!aborted_) {
        const std::size_t room = mux.send_capacity(id_);
        if (room == 0) {
            if (!mux.stream_exists(id_)) co_return;
            mux.want_writable(id_);
            up_wake_.expires_at(asio::steady_timer::time_point::max());
            up_waiting_ = true;
            error_code ec;
            co_await up_wake_.async_wait(redirect_error(use_awaitable, ec));
            up_waiting_ = false;
            continue;
        }
        const std::size_t n = co_await local_->read_some(std::span(buf.data(), std::min(room, buf.size())));
        if (aborted_) co_return;
        if (n == 0) {
            mux.finish(id_);
            session_->flush();
            co_return;
        }
        mux.send(id_, std::span<const std::uint8_t>(buf.data(), n));
        session_->flush();
    }
}

awaitable<void> StreamPump::download() {
    auto& mux = session_->mux();
    while (!aborted_) {
        if (inbox_.empty()) {
            if (peer_fin_) {
                local_->shutdown_send();
                co_return;
            }
            down_wake_.expires_at(asio::steady_timer::time_point::max());
            down_waiting_ = true;
            error_code ec;
            co_await down_wake_.async_wait(redirect_error(use_awaitable, ec));
            down_waiting_ = false;
            continue;
        }
        auto chunk = std::move(inbox_.front());
        inbox_.pop_front();
        co_await local_->write_all(chunk);
        inbox_bytes_ -= chunk.size();
        mux.grant(id_, chunk.size());
        session_->flush();
    }
}

void StreamPump::on_accepted() { run(); }

void StreamPump::on_rejected(proto::Errc code, const std::string& reason) {
    error_ = reason.empty() ? std::string(proto::errc_name(code)) : reason;
    abort(error_);
}

void StreamPump::on_data(std::vector<std::uint8_t>&& bytes) {
    inbox_bytes_ += bytes.size();
    inbox_.push_back(std::move(bytes));
    wake(down_wake_, down_waiting_);
}

void StreamPump::on_fin() {
    peer_fin_ = true;
    wake(down_wake_, down_waiting_);
}

void StreamPump::on_reset(proto::Errc code, const std::string& reason) {
    abort("stream reset by peer: " + (reason.empty() ? std::string(proto::errc_name(code)) : reason));
}

void StreamPump::on_writable() { wake(up_wake_, up_waiting_); }

void StreamPump::on_session_closed(const std::string& why) { abort("session closed: " + why); }

void StreamPump::abort(const std::string& why) {
    if (aborted_ || finished_) return;
    aborted_ = true;
    if (error_.empty()) error_ = why;
    auto& mux = session_->mux();
    if (mux.stream_exists(id_)) {
        mux.reset(id_, proto::Errc::cancelled, why);
        session_->flush();
    }
    mux.grant(id_, inbox_bytes_);  // discarded bytes still free the session window
    inbox_.clear();
    inbox_bytes_ = 0;
    local_->close();
    wake(up_wake_, up_waiting_);
    wake(down_wake_, down_waiting_);
    if (!running_) {  // never got going: no coroutine will finish a half
        halves_left_ = 1;
        finish_half();
    }
}

void StreamPump::finish_half() {
    if (--halves_left_ > 0) return;
    finished_ = true;
    local_->close();
    session_->detach(id_);
    if (done_) {
        auto done = std::move(done_);
        done(error_);
    }
}

}  // namespace burrow::io
