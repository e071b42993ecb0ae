#pragma once
// Catches what burrow logs while it lives ("LEVEL MESSAGE" a line), for tests
// that assert a failure was reported.
#include <memory>
#include <sstream>
#include <string>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

namespace burrow::testing {

class LogCapture {
public:
    LogCapture() : previous_(spdlog::default_logger()) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
        sink->set_pattern("%l %v");
        auto logger = std::make_shared<spdlog::logger>("capture", std::move(sink));
        logger->set_level(spdlog::level::trace);
        spdlog::set_default_logger(std::move(logger));
    }
    ~LogCapture() { spdlog::set_default_logger(previous_); }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    std::string text() const { return text_.str(); }
    bool has(const std::string& line) const { return ("\n" + text()).find("\n" + line + "\n") != std::string::npos; }

private:
    std::ostringstream text_;
    std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace burrow::testing
