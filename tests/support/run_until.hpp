#pragma once
// Running an io_context in tests until something is done. The deadline only
// catches a hang; no test asserts on how long anything took.
#include <chrono>
#include <exception>
#include <memory>
#include <string>

#include "io/asio.hpp"

namespace burrow::io::test {

inline constexpr std::chrono::seconds kHang{30};

// Runs `ctx` until `done()` holds, nothing is left to run, or `hang` passes.
template <class Done>
bool run_until(asio::io_context& ctx, Done done, std::chrono::steady_clock::duration hang = kHang) {
    const auto give_up = std::chrono::steady_clock::now() + hang;
    if (ctx.stopped()) ctx.restart();
    while (!done() && std::chrono::steady_clock::now() < give_up) {
        if (ctx.run_one_for(std::chrono::milliseconds(100)) == 0 && ctx.stopped()) {
            ctx.restart();
            break;
        }
    }
    return done();
}

// Runs the coroutine `task()` to its end: "" if it returned, else what it
// threw; "(did not finish)" if it is still waiting when nothing else can run.
template <class Task>
std::string run_task(asio::io_context& ctx, Task task, std::chrono::steady_clock::duration hang = kHang) {
    struct Outcome {
        bool finished = false;
        std::string error = "(did not finish)";
    };
    auto outcome = std::make_shared<Outcome>();
    asio::co_spawn(ctx, std::move(task), [outcome](std::exception_ptr e) {
        outcome->finished = true;
        outcome->error.clear();
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            outcome->error = ex.what();
        }
    });
    run_until(ctx, [&] { return outcome->finished; }, hang);
    return outcome->error;
}

}  // namespace burrow::io::test
