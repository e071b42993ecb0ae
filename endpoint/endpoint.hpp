#pragma once
// The endpoint role: keeps a session to the relay up, registered under its
// name, and connects each incoming stream to the local service it names.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <vector>
#include <memory>
#include <string>

#include "crypto/identity.hpp"
#include "endpoint/client_list.hpp"
#include "endpoint/port_mapping.hpp"
#include "io/asio.hpp"
#include "io/dialer.hpp"
#include "io/relay_dial.hpp"
#include "proto/mux.hpp"

namespace burrow::io {
class Session;
class TlsContext;
}

namespace burrow::endpoint {

namespace asio = io::asio;

class DirectListener;
class PortMapper;

struct Service {
    io::HostPort address;
    bool e2e = true;  // end-to-end encryption; off only for services that encrypt themselves (ssh)
};

// Where clients may reach this endpoint without the relay.
struct DirectOptions {
    std::optional<io::HostPort> listen;  // the direct listener; none: relay only
    bool upnp = false;                   // have the LAN's router map a public port to it
    std::vector<std::string> advertise;  // candidates of the user's own ("lab.example.org:7444")
};

struct EndpointOptions {
    std::string name;
    io::HostPort relay;
    io::RelayTrust trust;
    std::map<std::string, Service> services;
    ClientList clients;  // who may open which service
    proto::MuxLimits limits;
    DirectOptions direct;
    std::size_t max_streams_per_client = 256;  // across the relay's session and direct ones
    std::string tcp_congestion;                // sessions' congestion control ("bbr"); empty: the system's
    std::chrono::milliseconds handshake_deadline{10000};  // OPEN to the end-to-end handshake's msg3
};

class Endpoint : public std::enable_shared_from_this<Endpoint> {
public:
    // `on_registered` runs each time the relay confirms the name.
    Endpoint(asio::any_io_executor ex, EndpointOptions options, crypto::Identity identity,
             std::function<void()> on_registered = {});
    ~Endpoint();

    void start();  // runs until stop(); reconnects with backoff
    void stop();
    // Takes a new set of services and tells the relay; open streams go on.
    void update_services(std::map<std::string, Service> services);
    // Takes a new client list for new streams; open streams go on.
    void update_clients(ClientList clients);
    void drain();       // no new streams; open ones go on
    bool idle() const;  // no stream open
    bool finished() const;  // after stop(): the GOAWAY is out

private:
    class Peer;
    io::awaitable<void> keep_connected();
    proto::Register registration() const;
    void start_direct();
    std::vector<std::string> direct_candidates() const;
    void announce_direct();  // tells the relay the direct candidates, if a session is up
    void on_mapping(const std::optional<Mapping>& mapping);
    void on_open(const std::shared_ptr<io::Session>& session, proto::StreamId id, const std::string& target,
                 const std::optional<proto::PeerKey>& client_key);

    asio::any_io_executor ex_;
    EndpointOptions options_;
    crypto::Identity identity_;
    std::unique_ptr<io::TlsContext> tls_;
    std::function<void()> on_registered_;
    std::shared_ptr<io::Session> session_;
    std::shared_ptr<io::Session> closing_;  // by stop()
    std::string refusal_;                   // the relay key refused, as last logged
    asio::steady_timer session_done_;
    bool stopped_ = false;
    std::shared_ptr<DirectListener> direct_;
    std::unique_ptr<PortMapper> mapper_;
    std::optional<Mapping> mapping_;
    std::map<proto::PeerKey, std::size_t> streams_per_client_;  // open streams, by client key
};

}  // namespace burrow::endpoint
