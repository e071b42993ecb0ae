#pragma once
// Parks a coroutine until another handler wakes it. Asio 1.18 has no
// channel: a timer at time_point::max() that wake() cancels. A wake while
// nothing is parked is lost, so a coroutine checks its condition before it
// parks again.
#include "io/asio.hpp"

namespace burrow::io {

class Wakeup {
public:
    explicit Wakeup(const asio::any_io_executor& ex) : timer_(ex) {}

    awaitable<void> park() {
        timer_.expires_at(asio::steady_timer::time_point::max());
        parked_ = true;
        error_code ec;
        co_await timer_.async_wait(redirect_error(use_awaitable, ec));
        parked_ = false;
    }
    void wake() {
        if (parked_) timer_.cancel();
    }

private:
    asio::steady_timer timer_;
    bool parked_ = false;
};

}  // namespace burrow::io
