#include "app/control.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "app/config.hpp"
#include "crypto/identity.hpp"
#include "crypto/key_files.hpp"

namespace burrow::app {

std::string control_socket_path(const std::string& role, const std::string& flag,
                                const std::optional<std::string>& from_file) {
    if (!flag.empty()) return flag;
    if (from_file && !from_file->empty()) return *from_file;
    return crypto::config_dir() + "/" + role + ".sock";
}

namespace {
constexpr auto kTakeOverEvery = std::chrono::seconds(1);
constexpr const char* kServiceStateDir = "/var/lib/burrow";  // BURROW_HOME of the packaged units
}  // namespace

ControlSocket::ControlSocket(io::asio::any_io_executor ex, std::string role, const std::string& flag,
                             const std::optional<std::string>& from_file, io::ControlRequests requests)
    : role_(std::move(role)), requests_(std::move(requests)), retry_(ex) {
    const bool chosen = !flag.empty() || (from_file && !from_file->empty());
    try {
        path_ = control_socket_path(role_, flag, from_file);
    } catch (const std::exception& e) {
        if (chosen) throw;
        spdlog::warn("no control socket: {}; SIGHUP still reloads this {}", e.what(), role_);
        return;
    }
    if (!try_open(chosen, true)) retry_later();  // held by another running process
}

void ControlSocket::retry_later() {
    retry_.expires_after(kTakeOverEvery);
    retry_.async_wait([this](const io::error_code& ec) {
        if (ec) return;
        if (try_open(false, false))
            spdlog::info("control socket {} taken over (for `burrow {} reload`)", path_, role_);
        else
            retry_later();
    });
}

bool ControlSocket::try_open(bool chosen, bool first) {
    try {
        crypto::create_parent_dirs(path_);
        server_ = std::make_unique<io::ControlServer>(retry_.get_executor(), path_, requests_);
        if (first) spdlog::info("control socket {} (for `burrow {} reload`)", path_, role_);
        return true;
    } catch (const io::ControlSocketInUse& e) {
        if (chosen) throw std::runtime_error(std::string(e.what()) + ": is this " + role_ + " running already?");
        if (first)
            spdlog::warn("{}: this {} takes it over when that one stops (or give it its own with --control-socket "
                         "PATH); SIGHUP reloads it meanwhile",
                         e.what(), role_);
        return false;
    } catch (const std::exception& e) {
        if (chosen) throw;
        spdlog::warn("no control socket: {}; SIGHUP still reloads this {}", e.what(), role_);
        return true;  // nothing to take over
    }
}

void ControlSocket::release() {
    retry_.cancel();
    if (server_) server_->stop();
    server_.reset();
}

io::ControlReply ask_control(const std::string& path, const std::string& request) {
    io::asio::io_context ctx;
    std::exception_ptr failure;
    io::ControlReply reply;
    io::asio::co_spawn(ctx, io::control_request(path, request), [&](std::exception_ptr e, io::ControlReply r) {
        failure = e;
        reply = std::move(r);
    });
    ctx.run();
    if (failure) std::rethrow_exception(failure);
    return reply;
}

io::ControlReply ask_role(const std::string& role, const std::string& flag, const std::optional<std::string>& from_file,
                          const std::string& request, std::string& tried) {
    const std::string path = control_socket_path(role, flag, from_file);
    tried = path;
    try {
        return ask_control(path, request);
    } catch (const io::ControlUnreachable&) {
        const std::string service = kServiceStateDir + std::string("/") + role + ".sock";
        const bool chosen = !flag.empty() || (from_file && !from_file->empty());
        if (chosen || path == service || !std::filesystem::exists(service)) throw;
        tried += " or " + service;
        return ask_control(service, request);
    }
}

int run_reload(const std::string& role, const ReloadArgs& args) {
    std::optional<std::string> from_file;
    if (args.control_socket.empty() && !args.config.empty()) {
        try {
            from_file = role == "relay" ? load_relay_file(args.config).control_socket
                                        : load_endpoint_file(args.config).control_socket;
        } catch (const ConfigError& e) {
            std::fprintf(stderr, "burrow: %s\nburrow: nothing was reloaded: fix the file, then run this again\n",
                         e.what());
            return 1;
        }
    }
    std::string path;
    io::ControlReply reply;
    try {
        reply = ask_role(role, args.control_socket, from_file, "reload", path);
    } catch (const io::ControlUnreachable&) {
        std::fprintf(stderr, "burrow: no %s listening on %s: is it running?\n", role.c_str(), path.c_str());
        return 1;
    }
    if (!reply.ok) {
        std::fprintf(stderr, "burrow: %s reload refused: %s\n", role.c_str(), reply.text.c_str());
        return 1;
    }
    std::printf("%s\n", reply.text.c_str());
    return 0;
}

}  // namespace burrow::app
