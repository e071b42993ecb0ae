#include "app/status.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "app/config.hpp"
#include "app/control.hpp"
#include "client/client.hpp"
#include "crypto/key_files.hpp"
#include "relay/status_json.hpp"
#include "relay/status_text.hpp"

namespace burrow::app {

namespace {

constexpr const char* kForwardPrefix = "forward-";
constexpr const char* kSocketSuffix = ".sock";

// The sockets of the forwards of this user, by pid; a file nothing answers on
// (its forward was killed) is removed.
std::vector<std::string> forward_answers() {
    namespace fs = std::filesystem;
    std::vector<std::string> answers;
    std::error_code ec;
    std::vector<fs::path> sockets;
    for (const auto& entry : fs::directory_iterator(crypto::config_dir(), ec)) {
        const auto name = entry.path().filename().string();
        if (name.starts_with(kForwardPrefix) && name.ends_with(kSocketSuffix)) sockets.push_back(entry.path());
    }
    std::sort(sockets.begin(), sockets.end());
    for (const auto& path : sockets) {
        try {
            const auto reply = ask_control(path.string(), "status");
            if (reply.ok) answers.push_back(reply.text);
        } catch (const io::ControlUnreachable&) {
            fs::remove(path, ec);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "burrow: %s: %s\n", path.c_str(), e.what());
        }
    }
    return answers;
}

std::string forward_text(const client::ForwardStatus& s) {
    std::string out = "forward (pid " + std::to_string(s.pid) + "): relay " + s.relay + " " + s.session;
    if (s.since > 0) out += " for " + relay::format_duration(s.now - s.since);
    if (!s.detail.empty()) out += ": " + s.detail;
    std::vector<std::vector<std::string>> rows{
        {"LISTEN", "TARGET", "STATE", "PATH", "OPEN", "TOTAL", "SENT", "RECEIVED"}};
    for (const auto& f : s.forwards)
        rows.push_back({f.listen, f.target, f.state.empty() ? "-" : f.state, f.path.empty() ? "-" : f.path,
                        std::to_string(f.connections_open), std::to_string(f.connections),
                        relay::format_bytes(f.bytes_sent), relay::format_bytes(f.bytes_received)});
    return out + "\n" + relay::text_table(rows);
}

}  // namespace

std::unique_ptr<io::ControlServer> open_forward_socket(io::asio::any_io_executor ex, const client::Forwarder& forward) {
    const std::string path =
        crypto::config_dir() + "/" + kForwardPrefix + std::to_string(::getpid()) + kSocketSuffix;
    try {
        crypto::create_parent_dirs(path);
        return std::make_unique<io::ControlServer>(
            std::move(ex), path, io::ControlRequests{{"status", [&forward] {
                                                          auto s = forward.status();
                                                          s.pid = static_cast<int>(::getpid());
                                                          return io::ControlReply{true, client::forward_status_json(s)};
                                                      }}});
    } catch (const std::exception& e) {
        spdlog::warn("no control socket for `burrow status`: {}", e.what());
        return nullptr;
    }
}

int run_status(const StatusArgs& args) {
    const bool relay_only = !args.config.empty() || !args.control_socket.empty();
    std::optional<std::string> from_file;
    if (!args.config.empty()) {
        try {
            from_file = load_relay_file(args.config).control_socket;
        } catch (const ConfigError& e) {
            std::fprintf(stderr, "burrow: %s\n", e.what());
            return 1;
        }
    }
    std::string tried;
    std::optional<io::ControlReply> relay;
    try {
        relay = ask_role("relay", args.control_socket, from_file, "status", tried);
    } catch (const io::ControlUnreachable&) {
    } catch (const std::exception& e) {
        std::fprintf(stderr, "burrow: %s\n", e.what());
        return 1;
    }
    const auto forwards = relay_only ? std::vector<std::string>{} : forward_answers();
    if (!relay && forwards.empty()) {
        if (relay_only)
            std::fprintf(stderr, "burrow: no relay answers on %s: is it running?\n", tried.c_str());
        else
            std::fprintf(stderr,
                         "burrow: nothing of burrow's is running here: no relay answers on %s, and no forward "
                         "socket is in %s\n",
                         tried.c_str(), crypto::config_dir().c_str());
        return 1;
    }
    if (relay && !relay->ok) {
        std::fprintf(stderr, "burrow: the relay said: %s\n", relay->text.c_str());
        return 1;
    }
    try {
        if (args.json) {
            nlohmann::json out{{"relay", nullptr}, {"forwards", nlohmann::json::array()}};
            if (relay) out["relay"] = nlohmann::json::parse(relay->text);
            for (const auto& f : forwards) out["forwards"].push_back(nlohmann::json::parse(f));
            std::printf("%s\n", out.dump(2).c_str());
            return 0;
        }
        std::string text;
        if (relay) text += relay::status_text(relay::parse_status_json(relay->text));
        for (const auto& f : forwards) text += forward_text(client::parse_forward_status_json(f));
        std::fputs(text.c_str(), stdout);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "burrow: %s\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace burrow::app
