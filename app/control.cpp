#include "app/control.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

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

std::unique_ptr<io::ControlServer> open_control_socket(io::asio::any_io_executor ex, const std::string& role,
                                                       const std::string& flag,
                                                       const std::optional<std::string>& from_file,
                                                       io::ControlRequests requests) {
    const bool chosen = !flag.empty() || (from_file && !from_file->empty());
    std::string path;
    try {
        path = control_socket_path(role, flag, from_file);
        crypto::create_parent_dirs(path);
        auto server = std::make_unique<io::ControlServer>(std::move(ex), path, std::move(requests));
        spdlog::info("control socket {} (for `burrow {} reload`)", path, role);
        return server;
    } catch (const io::ControlSocketInUse& e) {
        if (chosen) throw std::runtime_error(std::string(e.what()) + ": is this " + role + " running already?");
        spdlog::warn("{}: this {} has none (give it its own with --control-socket PATH); SIGHUP still reloads it",
                     e.what(), role);
    } catch (const std::exception& e) {
        if (chosen) throw;
        spdlog::warn("no control socket: {}; SIGHUP still reloads this {}", e.what(), role);
    }
    return nullptr;
}

namespace {

// One request over the control socket at `path`, waiting for the answer.
io::ControlReply ask(const std::string& path, const std::string& request) {
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

}  // namespace

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
    const std::string path = control_socket_path(role, args.control_socket, from_file);
    io::ControlReply reply;
    try {
        reply = ask(path, "reload");
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
