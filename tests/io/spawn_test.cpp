// io::spawn: a coroutine that throws is logged and cleaned up after.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>

#include "io/spawn.hpp"
#include "tests/support/log_capture.hpp"

namespace burrow::io {
namespace {

using namespace std::chrono_literals;

// Throws `what` once it has been suspended.
awaitable<void> fail_later(std::string what) {
    co_await asio::post(co_await asio::this_coro::executor, use_awaitable);
    throw std::runtime_error(what);
}

awaitable<void> fail_if_gone(std::weak_ptr<int> watch) {
    co_await asio::post(co_await asio::this_coro::executor, use_awaitable);
    if (watch.expired()) throw std::runtime_error("gone");
}

awaitable<void> end_later() { co_await asio::post(co_await asio::this_coro::executor, use_awaitable); }

TEST(Spawn, LogsTheFailureThenCleansUp) {
    testing::LogCapture log;
    asio::io_context ctx;
    std::optional<std::string> cleaned_up;
    spawn(ctx.get_executor(), fail_later("boom"), "listener 127.0.0.1:22", [&](const std::string& what) {
        EXPECT_TRUE(log.has("error listener 127.0.0.1:22: boom"));  // logged before the cleanup
        cleaned_up = what;
    });
    ctx.run_for(5s);
    EXPECT_EQ(cleaned_up, "boom");
}

TEST(Spawn, ACoroutineThatEndsIsNeitherLoggedNorCleanedUp) {
    testing::LogCapture log;
    asio::io_context ctx;
    bool cleaned_up = false;
    spawn(ctx.get_executor(), end_later(), "quiet", [&](const std::string&) { cleaned_up = true; });
    ctx.run_for(5s);
    EXPECT_FALSE(cleaned_up);
    EXPECT_EQ(log.text(), "");
}

TEST(Spawn, LogsAtTheLevelAskedWithoutACleanup) {
    testing::LogCapture log;
    asio::io_context ctx;
    spawn(ctx.get_executor(), fail_later("reset by peer"), "pump", {}, spdlog::level::debug);
    ctx.run_for(5s);
    EXPECT_EQ(log.text(), "debug pump: reset by peer\n");
}

TEST(Spawn, NamesAnExceptionOfNoStandardType) {
    testing::LogCapture log;
    asio::io_context ctx;
    std::string cleaned_up;
    const auto throw_int = []() -> awaitable<void> {
        co_await asio::post(co_await asio::this_coro::executor, use_awaitable);
        throw 7;
    };
    spawn(ctx.get_executor(), throw_int, "odd", [&](const std::string& what) { cleaned_up = what; });
    ctx.run_for(5s);
    EXPECT_EQ(cleaned_up, "unknown exception");
    EXPECT_TRUE(log.has("error odd: unknown exception"));
}

TEST(Spawn, KeepsAFunctionsCapturesWhileTheCoroutineRuns) {
    testing::LogCapture log;
    asio::io_context ctx;
    auto owner = std::make_shared<int>(1);
    const std::weak_ptr<int> watch = owner;
    bool cleaned_up = false;
    spawn(ctx.get_executor(), [owner = std::move(owner), watch] { return fail_if_gone(watch); }, "owned",
          [&](const std::string&) { cleaned_up = true; });
    ctx.run_for(5s);
    EXPECT_FALSE(cleaned_up);
    EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace burrow::io
