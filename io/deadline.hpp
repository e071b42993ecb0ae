#pragma once
// A deadline for one operation: `on_expiry` runs once if the time passes
// before disarm() (or destruction), typically closing the socket the
// operation waits on. Safe against the timer's handler being queued already
// when the operation ends.
#include <chrono>
#include <functional>
#include <memory>

#include "io/asio.hpp"

namespace burrow::io {

class Deadline {
public:
    Deadline(asio::any_io_executor ex, std::chrono::steady_clock::duration after, std::function<void()> on_expiry)
        : state_(std::make_shared<State>()), timer_(ex, after) {
        timer_.async_wait([state = state_, fn = std::move(on_expiry)](error_code ec) {
            if (ec || state->over) return;
            state->expired = true;
            fn();
        });
    }
    ~Deadline() { disarm(); }
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

    void disarm() noexcept {
        state_->over = true;
        timer_.cancel();
    }
    bool expired() const noexcept { return state_->expired; }

private:
    struct State {
        bool over = false;
        bool expired = false;
    };
    std::shared_ptr<State> state_;
    asio::steady_timer timer_;
};

// The usual expiry action: close the socket (or acceptor) the operation waits on.
template <class Socket>
std::function<void()> closing(Socket& socket) {
    return [&socket] {
        error_code ignored;
        socket.close(ignored);
    };
}

}  // namespace burrow::io
