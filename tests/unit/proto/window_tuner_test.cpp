#include "proto/window_tuner.hpp"

#include <gtest/gtest.h>

namespace burrow::proto {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kFull = 1 << 20;
constexpr std::uint32_t kFloor = 64 << 10;
constexpr std::uint32_t kCeiling = 16 << 20;
constexpr WindowTuner::Bounds kBounds{kFloor, kFull, kCeiling};

// Consumes `bytes_per_ms` every millisecond for `ms` milliseconds from `start`.
Clock::time_point feed(WindowTuner& t, Clock::time_point start, std::uint64_t bytes_per_ms, int ms,
                       Clock::duration rtt) {
    for (int i = 1; i <= ms; ++i) t.consumed(bytes_per_ms, start + i * 1ms, rtt);
    return start + ms * 1ms;
}

TEST(WindowTuner, FullWindowUntilSomethingIsMeasured) {
    WindowTuner t;
    EXPECT_EQ(t.window(true, kBounds), kFull);
    feed(t, Clock::time_point{} + 1s, 1000, 20, Clock::duration::zero());  // no round trip known
    EXPECT_EQ(t.bytes_per_rtt(), 0u);
    EXPECT_EQ(t.window(true, kBounds), kFull);
}

TEST(WindowTuner, AloneOnAShortPathGetsTheBaseWindow) {
    WindowTuner t;
    feed(t, Clock::time_point{} + 1s, 1000, 20, 100us);
    EXPECT_GT(t.bytes_per_rtt(), 0u);
    EXPECT_EQ(t.window(false, kBounds), kFull);
}

TEST(WindowTuner, SharedOnAShortPathGetsTheFloor) {
    // 300 MB/s over a 50 µs round trip: 15 KB per round trip, 60 KB for four: the floor.
    WindowTuner t;
    feed(t, Clock::time_point{} + 1s, 300'000, 20, 50us);
    EXPECT_NEAR(static_cast<double>(t.bytes_per_rtt()), 15'000, 100);
    EXPECT_EQ(t.window(true, kBounds), kFloor);
}

TEST(WindowTuner, SharedOnALongPathCoversFourRoundTrips) {
    // 2 MB/s over 40 ms: 80 KB per round trip, four of them: 320 KB.
    WindowTuner t;
    feed(t, Clock::time_point{} + 1s, 2'000, 400, 40ms);
    EXPECT_NEAR(static_cast<double>(t.bytes_per_rtt()), 80'000, 1000);
    EXPECT_NEAR(static_cast<double>(t.window(true, kBounds)), 320'000, 4000);
    EXPECT_EQ(t.window(false, kBounds), kFull);  // alone: never below the base window
}

TEST(WindowTuner, OnALongPathAWindowGrowsBeyondTheBaseUpToTheCeiling) {
    // 20 MB/s over 100 ms: 2 MB per round trip, 8 MB for four, shared or not.
    WindowTuner t;
    feed(t, Clock::time_point{} + 1s, 20'000, 800, 100ms);
    EXPECT_NEAR(static_cast<double>(t.window(false, kBounds)), 8'000'000, 80'000);
    EXPECT_NEAR(static_cast<double>(t.window(true, kBounds)), 8'000'000, 80'000);
    // Faster still: the ceiling.
    feed(t, Clock::time_point{} + 2s, 100'000, 800, 100ms);
    EXPECT_EQ(t.window(false, kBounds), kCeiling);
}

TEST(WindowTuner, SlowsDownByHalvesNotAtOnce) {
    WindowTuner t;
    auto now = feed(t, Clock::time_point{} + 1s, 100'000, 10, 100us);  // 10 KB per round trip
    const auto before = t.bytes_per_rtt();
    t.consumed(0, now + 1ms, 100us);  // an interval with nothing: measured as 0
    EXPECT_EQ(t.bytes_per_rtt(), before / 2);
}

TEST(WindowTuner, IntervalsAreAtLeastFourRoundTrips) {
    WindowTuner t;
    const auto start = Clock::time_point{} + 1s;
    t.consumed(1000, start, 10ms);
    t.consumed(1000, start + 39ms, 10ms);
    EXPECT_EQ(t.bytes_per_rtt(), 0u);  // 39 ms < 4 round trips: not measured yet
    t.consumed(1000, start + 40ms, 10ms);
    EXPECT_EQ(t.bytes_per_rtt(), 3000u * 10 / 40);
}

TEST(WindowTuner, BusyMeansMovingAQuarterOfTheFloorEveryFourRoundTrips) {
    WindowTuner idle;
    EXPECT_FALSE(idle.busy(kFloor));  // not measured: counts as quiet
    WindowTuner bulk;
    feed(bulk, Clock::time_point{} + 1s, 300'000, 20, 50us);  // 15 KB per round trip
    EXPECT_TRUE(bulk.busy(kFloor));
    WindowTuner keystrokes;
    feed(keystrokes, Clock::time_point{} + 1s, 64, 20, 50us);  // a 64-byte ping every millisecond
    EXPECT_FALSE(keystrokes.busy(kFloor));
}

TEST(WindowTuner, BoundsOutOfOrderKeepTheBase) {
    WindowTuner t;
    feed(t, Clock::time_point{} + 1s, 1000, 20, 50us);
    EXPECT_EQ(t.window(true, {kFloor, 32 << 10, 16 << 10}), 32u << 10);  // floor and ceiling below the base
}

}  // namespace
}  // namespace burrow::proto
