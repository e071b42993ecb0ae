#include "io/control_socket.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "io/deadline.hpp"
#include "io/spawn.hpp"

namespace burrow::io {
namespace {

using local = asio::local::stream_protocol;

constexpr std::size_t kMaxPath = sizeof(sockaddr_un::sun_path) - 1;  // and a terminating NUL
constexpr std::size_t kMaxRequest = 1024;
constexpr std::size_t kMaxReply = 8 * 1024 * 1024;  // a relay's status lists every session
constexpr auto kRequestDeadline = std::chrono::seconds(5);  // for a client to send its line and read the answer

local::endpoint endpoint_of(const std::string& path) {
    if (path.empty()) throw std::runtime_error("control socket: empty path");
    if (path.size() > kMaxPath)
        throw std::runtime_error("control socket " + path + ": path too long for a Unix socket (" +
                                 std::to_string(kMaxPath) + " bytes at most)");
    return local::endpoint(path);
}

std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    return text;
}

// The line read into `buffer`, without its "\n" (or "\r\n").
std::string take_line(std::string& buffer, std::size_t n) {
    std::string line = buffer.substr(0, n - 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    buffer.erase(0, n);
    return line;
}

// A socket file no process listens on any more (its owner was killed) is
// removed; a live one, or a file of another kind, is left alone and refused.
void remove_stale_socket(const asio::any_io_executor& ex, const std::string& path, const local::endpoint& endpoint) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return;
        throw std::runtime_error("control socket " + path + ": " + std::strerror(errno));
    }
    if (!S_ISSOCK(st.st_mode))
        throw std::runtime_error("control socket " + path + ": the file exists and is not a socket; not replacing it");
    local::socket probe(ex);
    error_code ec;
    probe.connect(endpoint, ec);
    if (!ec) throw ControlSocketInUse("control socket " + path + " is in use by another running process");
    if (ec != asio::error::connection_refused) throw std::runtime_error("control socket " + path + ": " + ec.message());
    ::unlink(path.c_str());
}

}  // namespace

struct ControlServer::State {
    State(asio::any_io_executor ex, ControlRequests r) : acceptor(ex), requests(std::move(r)) {}
    local::acceptor acceptor;
    ControlRequests requests;
    ino_t inode = 0;  // of the socket file bound here

    ControlReply answer(const std::string& request) const {
        const auto it = requests.find(request);
        if (it == requests.end()) {
            std::string known;
            for (const auto& [word, fn] : requests) known += (known.empty() ? "" : ", ") + word;
            return {false, "unknown request '" + request + "' (known: " + known + ")"};
        }
        try {
            return it->second();
        } catch (const std::exception& e) {
            return {false, e.what()};
        }
    }
};

ControlServer::ControlServer(asio::any_io_executor ex, std::string path, ControlRequests requests)
    : path_(std::move(path)), state_(std::make_shared<State>(ex, std::move(requests))) {
    const auto endpoint = endpoint_of(path_);
    remove_stale_socket(ex, path_, endpoint);
    auto& acceptor = state_->acceptor;
    acceptor.open();
    error_code ec;
    const mode_t old_mask = ::umask(0177);  // the socket file is created 0600
    acceptor.bind(endpoint, ec);
    ::umask(old_mask);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        if (ec != asio::error::address_in_use) ::unlink(path_.c_str());
        throw std::runtime_error("control socket " + path_ + ": " + ec.message());
    }
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0) state_->inode = st.st_ino;
    spawn(ex, accept_loop(state_), "control socket " + path_ + ": accept loop ended");
}

awaitable<void> ControlServer::accept_loop(std::shared_ptr<State> state) {
    while (state->acceptor.is_open()) {
        error_code ec;
        local::socket socket = co_await state->acceptor.async_accept(redirect_error(use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !state->acceptor.is_open()) co_return;
        if (ec) {
            spdlog::warn("control socket: accept failed: {}", ec.message());
            continue;
        }
        spawn(state->acceptor.get_executor(), serve(state, std::move(socket)), "control socket: request");
    }
}

ControlServer::~ControlServer() { stop(); }

void ControlServer::stop() noexcept {
    if (!state_->acceptor.is_open()) return;
    error_code ignored;
    state_->acceptor.close(ignored);
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_ino == state_->inode) ::unlink(path_.c_str());
}

awaitable<void> ControlServer::serve(std::shared_ptr<State> state, local::socket socket) {
    Deadline deadline(socket.get_executor(), kRequestDeadline, closing(socket));
    std::string buffer;
    error_code ec;
    const std::size_t n = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer, kMaxRequest), '\n',
                                                          redirect_error(use_awaitable, ec));
    ControlReply reply;
    if (ec == asio::error::not_found) {
        reply = {false, "request longer than " + std::to_string(kMaxRequest) + " bytes"};
    } else if (ec) {
        deadline.disarm();
        co_return;  // the client went away, or sent no whole line in time
    } else {
        const std::string request = take_line(buffer, n);
        spdlog::info("control socket: '{}' requested", one_line(request));
        reply = state->answer(request);
    }
    const std::string line = (reply.ok ? "ok " : "error ") + one_line(reply.text) + "\n";
    co_await asio::async_write(socket, asio::buffer(line.data(), line.size()), redirect_error(use_awaitable, ec));
    deadline.disarm();
}

awaitable<ControlReply> control_request(std::string path, std::string request, std::chrono::milliseconds timeout) {
    auto ex = co_await asio::this_coro::executor;
    const auto endpoint = endpoint_of(path);
    local::socket socket(ex);
    Deadline deadline(ex, timeout, closing(socket));
    const auto fail = [&](const error_code& ec) -> std::runtime_error {
        deadline.disarm();
        if (deadline.expired()) return std::runtime_error("control socket " + path + ": no answer within " +
                                                 std::to_string(timeout.count() / 1000) + " s");
        return std::runtime_error("control socket " + path + ": " + ec.message());
    };
    error_code ec;
    co_await socket.async_connect(endpoint, redirect_error(use_awaitable, ec));
    if (ec == asio::error::connection_refused || ec == boost::system::errc::no_such_file_or_directory) {
        deadline.disarm();
        throw ControlUnreachable(path);
    }
    if (ec) throw fail(ec);
    // Only a server of this user's (or root's) may answer: another user could
    // have put a socket where this one looks, and answer "ok".
    ucred peer{};
    socklen_t length = sizeof peer;
    if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0)
        throw fail(error_code(errno, boost::system::system_category()));
    if (peer.uid != ::geteuid() && peer.uid != 0 && ::geteuid() != 0) {
        deadline.disarm();
        throw std::runtime_error("control socket " + path + " is served by uid " + std::to_string(peer.uid) +
                                 " (pid " + std::to_string(peer.pid) + "), not by you (uid " +
                                 std::to_string(::geteuid()) + "): not asking it anything");
    }
    const std::string line = one_line(request) + "\n";
    co_await asio::async_write(socket, asio::buffer(line.data(), line.size()), redirect_error(use_awaitable, ec));
    if (ec) throw fail(ec);
    std::string buffer;
    const std::size_t n = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer, kMaxReply), '\n',
                                                          redirect_error(use_awaitable, ec));
    if (ec == asio::error::eof) throw std::runtime_error("control socket " + path + ": closed without an answer");
    if (ec) throw fail(ec);
    deadline.disarm();
    const std::string answer = take_line(buffer, n);
    if (answer == "ok") co_return ControlReply{true, ""};
    if (answer.starts_with("ok ")) co_return ControlReply{true, answer.substr(3)};
    if (answer.starts_with("error ")) co_return ControlReply{false, answer.substr(6)};
    throw std::runtime_error("control socket " + path + ": unexpected answer '" + answer + "'");
}

}  // namespace burrow::io
