// io::Deadline on a real io_context.
#include <gtest/gtest.h>

#include "io/deadline.hpp"

namespace burrow::io {
namespace {

using namespace std::chrono_literals;

TEST(Deadline, RunsOnceWhenTheTimePasses) {
    asio::io_context ctx;
    int fired = 0;
    Deadline deadline(ctx.get_executor(), 1ms, [&] { ++fired; });
    ctx.run_for(200ms);
    EXPECT_EQ(fired, 1);
    EXPECT_TRUE(deadline.expired());
}

TEST(Deadline, DisarmedInTimeNeverRuns) {
    asio::io_context ctx;
    int fired = 0;
    Deadline deadline(ctx.get_executor(), 50ms, [&] { ++fired; });
    deadline.disarm();
    ctx.run_for(200ms);
    EXPECT_EQ(fired, 0);
    EXPECT_FALSE(deadline.expired());
}

TEST(Deadline, DestroyedBeforeTheTimeNeverRuns) {
    asio::io_context ctx;
    int fired = 0;
    { Deadline deadline(ctx.get_executor(), 1ms, [&] { ++fired; }); }
    ctx.run_for(100ms);
    EXPECT_EQ(fired, 0);
}

}  // namespace
}  // namespace burrow::io
