#include "relay/log_limiter.hpp"

#include <gtest/gtest.h>

namespace burrow::relay {
namespace {

using namespace std::chrono_literals;

TEST(LogLimiter, WritesTheFirstThenOnePerIntervalWithTheCountHeldBack) {
    LogLimiter limit(10s);
    const auto t0 = LogLimiter::Clock::time_point{} + 1h;
    std::uint64_t held = 99;
    ASSERT_TRUE(limit.allow(t0, held));
    EXPECT_EQ(held, 0u);
    for (int i = 0; i < 500; ++i) EXPECT_FALSE(limit.allow(t0 + std::chrono::milliseconds(i * 10), held));
    ASSERT_TRUE(limit.allow(t0 + 10s, held));
    EXPECT_EQ(held, 500u);
    EXPECT_FALSE(limit.allow(t0 + 19s, held));
    ASSERT_TRUE(limit.allow(t0 + 60s, held));
    EXPECT_EQ(held, 1u);
}

}  // namespace
}  // namespace burrow::relay
