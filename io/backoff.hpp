#pragma once
// Capped exponential backoff with full jitter (STYLE.md S8).
#include <chrono>
#include <random>

namespace burrow::io {

class Backoff {
public:
    using ms = std::chrono::milliseconds;
    Backoff(ms initial = ms(500), ms cap = ms(30000)) : initial_(initial), cap_(cap), ceiling_(initial) {}

    ms next() {
        const auto upper = ceiling_;
        ceiling_ = std::min(cap_, ceiling_ * 2);
        std::uniform_int_distribution<long long> pick(upper.count() / 2, upper.count());
        return ms(pick(rng_));
    }
    void reset() { ceiling_ = initial_; }

private:
    ms initial_, cap_, ceiling_;
    std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace burrow::io
