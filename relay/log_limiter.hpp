#pragma once
// Bounds how often one kind of log line is written: the first at once, then
// at most one per interval, each saying how many were held back before it.
// Time is handed in.
#include <chrono>
#include <cstdint>

namespace burrow::relay {

class LogLimiter {
public:
    using Clock = std::chrono::steady_clock;
    explicit LogLimiter(Clock::duration interval) : interval_(interval) {}

    // Whether to write this occurrence; if so, `held_back` is how many were
    // not written since the last one that was.
    bool allow(Clock::time_point now, std::uint64_t& held_back) {
        if (written_ && now < next_) {
            ++held_;
            return false;
        }
        written_ = true;
        next_ = now + interval_;
        held_back = held_;
        held_ = 0;
        return true;
    }

private:
    Clock::duration interval_;
    Clock::time_point next_{};
    std::uint64_t held_ = 0;
    bool written_ = false;
};

}  // namespace burrow::relay
