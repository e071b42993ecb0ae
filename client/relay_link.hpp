#pragma once
// The client's session to the relay.
#include <functional>
#include <memory>

#include "client/client.hpp"
#include "io/session.hpp"

namespace burrow::client {

// Session events a client cares about; a client accepts no streams.
class ClientPeer final : public io::SessionHandler {
public:
    std::function<void(proto::ControlMessage&&)> on_message;
    std::function<void(const std::string&)> on_end;
    std::function<void(io::Session&)> on_suspend;  // set by open_relay_session: resumes
    std::function<void()> on_resume;

    void on_stream_opened(io::Session& s, proto::StreamId id, const std::string&,
                          const std::optional<proto::PeerKey>&) override {
        s.mux().reject(id, proto::Errc::not_authorized, "clients accept no streams");
    }
    void on_control(io::Session&, proto::ControlMessage&& msg) override {
        if (on_message) on_message(std::move(msg));
    }
    void on_suspended(io::Session& s, const std::string&) override {
        if (on_suspend) on_suspend(s);
    }
    void on_resumed(io::Session&) override {
        if (on_resume) on_resume();
    }
    void on_closed(io::Session&, const std::string& why) override {
        if (on_end) on_end(why);
    }
};

// Dials the relay and starts a session; throws with "relay ADDR: ..." on failure.
io::awaitable<std::shared_ptr<io::Session>> open_relay_session(const ClientOptions& options,
                                                               std::shared_ptr<ClientPeer> peer);

}  // namespace burrow::client
