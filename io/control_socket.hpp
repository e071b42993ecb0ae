#pragma once
// The local control socket of a running relay or endpoint: a Unix domain
// socket, mode 0600, that takes one request line per connection ("reload\n")
// and answers one line: "ok <text>\n" or "error <text>\n". `burrow relay
// reload` and `burrow endpoint reload` are its clients; they ask only a server
// that runs as their own user or as root (SO_PEERCRED).
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "io/asio.hpp"

namespace burrow::io {

struct ControlReply {
    bool ok = false;
    std::string text;  // sent as one line: line breaks become spaces
};

// Request word -> what answers it. Runs on the server's executor.
using ControlRequests = std::map<std::string, std::function<ControlReply()>>;

// Another live process answers on the socket path.
struct ControlSocketInUse : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Nothing listens on the socket path (no file, or a file no process holds).
struct ControlUnreachable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class ControlServer {
public:
    // Binds `path` and starts answering. A socket file that no process listens
    // on any more (left by a killed one) is replaced. Throws ControlSocketInUse
    // if a live process holds it, std::runtime_error naming the path otherwise
    // (not a socket, too long, no permission...).
    ControlServer(asio::any_io_executor ex, std::string path, ControlRequests requests);
    ~ControlServer();  // stop()
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Stops listening and removes the socket file, if it is still the one bound here.
    void stop() noexcept;
    const std::string& path() const noexcept { return path_; }

private:
    struct State;
    static awaitable<void> accept_loop(std::shared_ptr<State> state);
    static awaitable<void> serve(std::shared_ptr<State> state, asio::local::stream_protocol::socket socket);

    std::string path_;
    std::shared_ptr<State> state_;
};

// Sends `request` to the control socket at `path` and returns the answer.
// Throws ControlUnreachable if nothing listens there, std::runtime_error on
// other failures (no answer within `timeout`, permission denied...).
awaitable<ControlReply> control_request(std::string path, std::string request,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace burrow::io
