#include "io/spawn.hpp"

#include <spdlog/spdlog.h>

namespace burrow::io {

LogFailure::LogFailure(std::string context, OnFailure on_failure, spdlog::level::level_enum level)
    : context_(std::move(context)), on_failure_(std::move(on_failure)), level_(level) {}

void LogFailure::operator()(std::exception_ptr e) const {
    if (!e) return;
    std::string what;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        what = ex.what();
    } catch (...) {
        what = "unknown exception";
    }
    spdlog::log(level_, "{}: {}", context_, what);
    if (on_failure_) on_failure_(what);
}

}  // namespace burrow::io
