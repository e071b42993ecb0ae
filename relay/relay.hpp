#pragma once
// The relay role: accepts sessions from endpoints and clients, keeps the
// registry of endpoint names, and splices client streams to endpoint streams.
#include <functional>
#include <memory>
#include <string>

#include "io/asio.hpp"
#include "io/dialer.hpp"
#include "proto/mux.hpp"
#include "relay/registry.hpp"

namespace burrow::relay {

namespace asio = io::asio;

struct RelayOptions {
    io::HostPort listen{"127.0.0.1", 7443};
    proto::MuxLimits limits;
};

class Relay : public std::enable_shared_from_this<Relay> {
public:
    Relay(asio::any_io_executor ex, RelayOptions options);

    // Binds the listener (throws on failure) and starts accepting.
    void start();
    void stop();
    io::HostPort bound() const { return bound_; }
    const Registry& registry() const noexcept { return registry_; }

private:
    class Peer;
    io::awaitable<void> accept_loop();
    void on_open(const std::shared_ptr<io::Session>& from, proto::StreamId id, const std::string& target);
    void on_control(const std::shared_ptr<io::Session>& from, proto::ControlMessage&& msg);
    void on_closed(io::Session& session);

    asio::any_io_executor ex_;
    RelayOptions options_;
    io::tcp::acceptor acceptor_;
    io::HostPort bound_;
    Registry registry_;
};

}  // namespace burrow::relay
