#pragma once
// A token bucket for rate limits; time is handed in.
#include <algorithm>
#include <chrono>

namespace burrow::relay {

class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;
    TokenBucket(double per_second, double burst) : rate_(per_second), burst_(burst), tokens_(burst) {}

    bool take(Clock::time_point now) {
        const std::chrono::duration<double> elapsed = now - last_;
        last_ = now;
        tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
        if (tokens_ < 1.0) return false;
        tokens_ -= 1.0;
        return true;
    }

private:
    double rate_, burst_, tokens_;
    Clock::time_point last_ = Clock::now();
};

}  // namespace burrow::relay
