#pragma once
// The relay's handler of one authenticated session's events (relay/ files only).
#include <spdlog/spdlog.h>

#include "io/session.hpp"
#include "relay/relay.hpp"
#include "relay/token_bucket.hpp"

namespace burrow::relay {

class Relay::Peer final : public io::SessionHandler {
public:
    Peer(std::weak_ptr<Relay> relay, crypto::PublicKey key, const RelayLimits& limits)
        : relay_(std::move(relay)), key(key), opens(limits.stream_opens_per_second, limits.stream_open_burst) {}
    void on_stream_opened(io::Session&, proto::StreamId stream, const std::string& target,
                          const std::optional<proto::PeerKey>&) override {
        if (auto r = relay_.lock()) r->on_open(id, *this, stream, target);
    }
    void on_control(io::Session&, proto::ControlMessage&& msg) override {
        if (auto r = relay_.lock()) r->on_control(id, *this, std::move(msg));
    }
    void on_ready(io::Session& s) override {
        if (auto r = relay_.lock()) r->on_ready(id, s);
    }
    void on_suspended(io::Session& s, const std::string&) override {
        if (auto r = relay_.lock()) r->on_suspended(id, s);
    }
    void on_resumed(io::Session& s) override {
        if (auto r = relay_.lock()) r->on_resumed(id, s);
    }
    void on_closed(io::Session& s, const std::string& why) override {
        spdlog::info("session {} ({}) ended: {}", s.peer(), key.fingerprint(), why);
        if (auto r = relay_.lock()) r->on_closed(id);
    }

    std::weak_ptr<Relay> relay_;
    crypto::PublicKey key;
    TokenBucket opens;
    SessionId id = SessionId::none;  // once authenticated
};

}  // namespace burrow::relay
