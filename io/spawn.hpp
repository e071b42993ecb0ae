#pragma once
// Starts a coroutine whose end cannot go unnoticed: Asio's `detached` drops
// what a coroutine throws, so burrow starts its coroutines through spawn().
#include <exception>
#include <functional>
#include <string>
#include <utility>

#include <spdlog/common.h>

#include "io/asio.hpp"

namespace burrow::io {

// Called with the exception's text after spawn() logged it.
using OnFailure = std::function<void(const std::string& what)>;

// The completion handler spawn() gives co_spawn.
class LogFailure {
public:
    LogFailure(std::string context, OnFailure on_failure, spdlog::level::level_enum level);
    void operator()(std::exception_ptr e) const;

private:
    std::string context_;
    OnFailure on_failure_;
    spdlog::level::level_enum level_;
};

// Runs `task` (an awaitable<void>, or a function returning one: its captures
// live as long as the coroutine) on `ex`. If it throws, logs "CONTEXT: WHAT"
// at `level`, then calls `on_failure(WHAT)` to clean up what the coroutine
// left. Use `level` debug where the failure is routine and `on_failure`
// reports it (a local connection reset while a pump writes to it).
template <class Task>
void spawn(const asio::any_io_executor& ex, Task&& task, std::string context, OnFailure on_failure = {},
           spdlog::level::level_enum level = spdlog::level::err) {
    asio::co_spawn(ex, std::forward<Task>(task), LogFailure(std::move(context), std::move(on_failure), level));
}

}  // namespace burrow::io
