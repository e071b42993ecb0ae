#pragma once
// The endpoint role: keeps a session to the relay up, registered under its
// name, and connects each incoming stream to the local service it names.
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "io/asio.hpp"
#include "io/dialer.hpp"
#include "proto/mux.hpp"

namespace burrow::io {
class Session;
}

namespace burrow::endpoint {

namespace asio = io::asio;

struct EndpointOptions {
    std::string name;
    io::HostPort relay;
    std::map<std::string, io::HostPort> services;
    proto::MuxLimits limits;
};

class Endpoint : public std::enable_shared_from_this<Endpoint> {
public:
    // `on_registered` runs each time the relay confirms the name.
    Endpoint(asio::any_io_executor ex, EndpointOptions options, std::function<void()> on_registered = {});

    void start();  // runs until stop(); reconnects with backoff
    void stop();

private:
    class Peer;
    io::awaitable<void> keep_connected();
    void on_open(const std::shared_ptr<io::Session>& session, proto::StreamId id, const std::string& target);
    io::awaitable<void> connect_service(std::shared_ptr<io::Session> session, proto::StreamId id, std::string target,
                                        io::HostPort address);

    asio::any_io_executor ex_;
    EndpointOptions options_;
    std::function<void()> on_registered_;
    std::shared_ptr<io::Session> session_;
    asio::steady_timer session_done_;
    bool stopped_ = false;
};

}  // namespace burrow::endpoint
