#pragma once
// The relay's admin listener: HTTP (Boost.Beast) on a loopback address unless
// configured otherwise, serving / (the status page), /metrics (Prometheus)
// and /status.json. With a token, every request must carry it, as
// "Authorization: Bearer TOKEN" or as the password of HTTP Basic
// authentication (what a browser asks for); others get 401.
#include <functional>
#include <memory>
#include <string>

#include "io/asio.hpp"
#include "io/dialer.hpp"
#include "relay/status.hpp"

namespace burrow::relay {

struct AdminOptions {
    io::HostPort listen{"127.0.0.1", 7444};
    std::string token;          // "" = no authentication
    bool allow_remote = false;  // else a request whose Host is not a loopback name is refused (DNS rebinding)
};

class AdminServer {
public:
    AdminServer(io::asio::any_io_executor ex, AdminOptions options, std::function<RelayStatus()> status);
    ~AdminServer();
    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;

    // Binds the listener (throws on failure) and starts serving.
    void start();
    void stop();
    io::HostPort bound() const;

private:
    struct State;
    std::shared_ptr<State> state_;
};

// Whether `host` (an address or a name) means this machine only.
bool is_loopback_host(const std::string& host);

}  // namespace burrow::relay
