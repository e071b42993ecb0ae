#pragma once
// The client's session to the relay.
#include <functional>
#include <memory>

#include "client/client.hpp"
#include "io/session.hpp"

namespace burrow::client {

// Session events a client cares about; a client accepts no streams. A
// suspended session says so on stderr once it has been resuming for 2 s, so
// that an ssh that stalls meanwhile does not stall silently.
class ClientPeer final : public io::SessionHandler {
public:
    std::function<void(proto::ControlMessage&&)> on_message;
    std::function<void(const std::string&)> on_end;
    std::function<void(io::Session&)> on_suspend;  // set by open_relay_session: resumes
    std::function<void()> on_resume;
    std::function<void()> on_going_away;
    std::function<void()> on_hello;     // the peer's HELLO came: the session is up
    std::optional<proto::Errc> goaway;  // the code of the peer's GOAWAY, once one came
    std::string goaway_reason;

    void on_ready(io::Session&) override;
    void on_stream_opened(io::Session& s, proto::StreamId id, const std::string&,
                          const std::optional<proto::PeerKey>&) override;
    void on_control(io::Session&, proto::ControlMessage&& msg) override;
    void on_goaway(io::Session&, proto::Errc, const std::string&) override;
    void on_suspended(io::Session& s, const std::string& why) override;
    void on_resumed(io::Session&) override;
    void on_closed(io::Session&, const std::string& why) override;

private:
    std::shared_ptr<asio::steady_timer> notice_;  // armed while suspended
    bool noticed_ = false;                         // the user was told
};

// Dials the relay and starts a session; throws io::RelayKeyRefused, or
// runtime_error with "relay ADDR: ..." on failure.
io::awaitable<std::shared_ptr<io::Session>> open_relay_session(const ClientOptions& options,
                                                               std::shared_ptr<ClientPeer> peer);

}  // namespace burrow::client
