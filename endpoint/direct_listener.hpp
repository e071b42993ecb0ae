#pragma once
// The endpoint's direct listener: clients that can reach this machine (a
// port mapped on the router, the same LAN) open sessions here with the same
// TLS 1.3 handshake and session protocol as at the relay. There is no relay
// to vouch for the client, so the key its TLS handshake proved is the one
// each stream's OPEN is checked against; a key the endpoint's client list
// does not name is refused before any stream.
#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <vector>
#include <string>

#include "crypto/identity.hpp"
#include "io/asio.hpp"
#include "io/dialer.hpp"
#include "proto/mux.hpp"

namespace burrow::io {
class Session;
class TlsContext;
}

namespace burrow::endpoint {

struct DirectHooks {
    std::function<bool(const crypto::PublicKey&)> admits;  // may this key open anything here?
    // A stream opened on a direct session by `client`: answer it as one the relay opened.
    std::function<void(const std::shared_ptr<io::Session>&, proto::StreamId, const std::string&,
                       const crypto::PublicKey&)>
        on_open;
};

class DirectListener : public std::enable_shared_from_this<DirectListener> {
public:
    // Binds now (throws system_error naming the address when it cannot).
    DirectListener(io::asio::any_io_executor ex, const io::HostPort& at, const crypto::Identity& identity,
                   proto::MuxLimits limits, DirectHooks hooks, const std::string& tcp_congestion = {});
    ~DirectListener();

    void start();
    std::uint16_t port() const noexcept { return port_; }
    const io::HostPort& address() const noexcept { return address_; }
    void drain();  // no new sessions or streams; open ones go on
    void stop();   // closes every direct session
    // Closes the sessions of keys no longer admitted (after a reload).
    void recheck();
    bool idle() const;      // no stream open on any direct session
    bool finished() const;  // after stop(): the goodbyes are out

private:
    class Peer;
    io::awaitable<void> accept_loop();
    io::awaitable<void> authenticate(io::tcp::socket socket, std::string source);

    io::asio::any_io_executor ex_;
    std::unique_ptr<io::TlsContext> tls_;
    io::tcp::acceptor acceptor_;
    io::HostPort address_;
    std::uint16_t port_ = 0;
    proto::MuxLimits limits_;
    DirectHooks hooks_;
    std::map<std::shared_ptr<io::Session>, crypto::PublicKey> sessions_;  // with the key TLS proved
    std::vector<std::shared_ptr<io::Session>> closing_;                   // by stop()
    std::size_t handshakes_ = 0;
    bool draining_ = false;
};

}  // namespace burrow::endpoint
