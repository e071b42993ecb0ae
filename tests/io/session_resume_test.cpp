// io::Session as the acceptor of a resumable session (the relay's side),
// against a peer that is a bare proto::Mux over a loopback socket and
// breaks the rules of resumption (docs/PROTOCOL.md §3.6).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "io/session.hpp"

namespace burrow::io {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

struct Pair {
    tcp::socket a;
    tcp::socket b;
};

Pair connected(asio::io_context& ctx) {
    tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    Pair p{tcp::socket(ctx), tcp::socket(ctx)};
    p.a.connect(acceptor.local_endpoint());
    acceptor.accept(p.b);
    return p;
}

proto::ResumeTicket ticket() {
    proto::ResumeTicket t;
    t.id.fill(7);
    t.secret.fill(9);
    return t;
}

// The relay's side: issues a ticket when the session is up, and sends
// `push` bytes on the first stream the peer opens.
class Acceptor final : public SessionHandler {
public:
    explicit Acceptor(std::size_t push) : push_(push) {}
    void on_ready(Session& s) override {
        s.enable_resume(ticket());
        s.mux().send_control(ticket());
        s.flush();
    }
    void on_stream_opened(Session& s, proto::StreamId id, const std::string&,
                          const std::optional<proto::PeerKey>&) override {
        s.mux().accept(id);
        const Bytes bytes(push_, 0x5a);
        std::size_t sent = 0;
        while (sent < bytes.size()) {
            const std::size_t n = s.mux().send(id, std::span(bytes).subspan(sent));
            if (n == 0) break;
            sent += n;
        }
        s.flush();
    }
    void on_closed(Session&, const std::string& why) override { closed = why; }
    std::optional<std::string> closed;

private:
    std::size_t push_;
};

// A peer without a Session: reads, answers PINGs (the mux does), grants
// what it gets, and sends only what the test makes it send; never an ACK.
struct BarePeer {
    explicit BarePeer(tcp::socket s) : socket(std::move(s)) { socket.non_blocking(true); }
    // One turn: reads what is there, writes what the mux has.
    void turn() {
        std::array<std::uint8_t, 65536> buf;
        for (;;) {
            error_code ec;
            const std::size_t n = socket.read_some(asio::buffer(buf), ec);
            if (ec == asio::error::would_block) break;
            if (ec || n == 0) {
                eof = true;
                break;
            }
            received += n;
            if (mux.receive(std::span(buf).first(n))) failed = true;
            while (auto e = mux.poll_event()) {
                if (auto* d = std::get_if<proto::StreamData>(&*e)) mux.grant(d->stream, d->bytes.size(), proto::Clock::now());
                if (auto* g = std::get_if<proto::GoAwayReceived>(&*e)) goaway = *g;
                if (std::get_if<proto::ControlReceived>(&*e)) ++controls;
            }
        }
        while (!eof) {
            const auto out = mux.pending_output();
            if (out.empty()) break;
            error_code ec;
            const std::size_t n = socket.write_some(asio::buffer(out.data(), out.size()), ec);
            if (ec == asio::error::would_block) break;
            if (ec) {
                eof = true;
                break;
            }
            mux.consume_output(n);
        }
    }
    tcp::socket socket;
    proto::Mux mux{proto::Role::initiator};
    std::size_t received = 0;
    int controls = 0;
    bool eof = false;
    bool failed = false;
    std::optional<proto::GoAwayReceived> goaway;
};

Liveness quick() {
    Liveness l;
    l.ping_interval = 100ms;
    l.dead_after = 1500ms;
    l.resume_grace = 60s;
    return l;
}

// Runs until `done` or a deadline that only catches a hang.
template <class Done>
void run_until(asio::io_context& ctx, BarePeer& peer, Done done) {
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    while (!done() && std::chrono::steady_clock::now() < give_up) {
        ctx.run_for(5ms);
        peer.turn();
    }
}

// An acceptor Session and a BarePeer on the two ends of a loopback connection.
struct Lab {
    explicit Lab(std::size_t push)
        : link(connected(ctx)), handler(std::make_shared<Acceptor>(push)), peer(std::move(link.b)) {
        session = std::make_shared<Session>(ctx.get_executor(), std::make_unique<TcpByteStream>(std::move(link.a)),
                                            proto::Role::acceptor, proto::MuxLimits{}, handler, quick());
        session->start();
    }
    asio::io_context ctx;
    Pair link;
    std::shared_ptr<Acceptor> handler;
    std::shared_ptr<Session> session;
    BarePeer peer;
};

TEST(SessionResume, APeerThatNeverAcknowledgesIsDropped) {
    Lab lab(600 * 1024);
    auto& [ctx, link, handler, session, peer] = lab;
    peer.mux.open("lab/svc");
    run_until(ctx, peer, [&] { return handler->closed.has_value() && peer.eof; });
    ASSERT_TRUE(handler->closed.has_value());
    EXPECT_NE(handler->closed->find("stopped acknowledging"), std::string::npos) << *handler->closed;
    ASSERT_TRUE(peer.goaway.has_value());
    EXPECT_EQ(peer.goaway->code, proto::Errc::protocol_error);
    EXPECT_GE(peer.received, 600u * 1024);  // it did get the bytes it holds back the ACK for
}

TEST(SessionResume, AResumeTicketFromTheInitiatorIsAProtocolError) {
    Lab lab(0);
    auto& [ctx, link, handler, session, peer] = lab;
    run_until(ctx, peer, [&] { return peer.controls > 0; });  // the acceptor's own ticket arrived
    ASSERT_EQ(session->ticket(), ticket());
    proto::ResumeTicket other;
    other.id.fill(1);
    peer.mux.send_control(other);
    run_until(ctx, peer, [&] { return handler->closed.has_value() && peer.eof; });
    ASSERT_TRUE(handler->closed.has_value());
    EXPECT_NE(handler->closed->find("protocol error"), std::string::npos) << *handler->closed;
    EXPECT_EQ(session->ticket(), ticket());  // the one it issued, not the peer's
    ASSERT_TRUE(peer.goaway.has_value());
    EXPECT_EQ(peer.goaway->code, proto::Errc::protocol_error);
}

TEST(SessionResume, APeerThatAcknowledgesStays) {
    Lab lab(600 * 1024);
    auto& [ctx, link, handler, session, peer] = lab;
    peer.mux.open("lab/svc");
    std::uint64_t acked = 0;
    int acks_sent = 0;
    // Acknowledges like an initiator Session, and goes on well past the acceptor's ACK deadline.
    run_until(ctx, peer, [&] {
        if (peer.received > acked) {
            acked = peer.received;
            peer.mux.ack(acked);
            ++acks_sent;
        }
        return handler->closed.has_value() || (peer.received >= 600u * 1024 && session->silent_for() < 1s &&
                                               acks_sent > 40);
    });
    EXPECT_FALSE(handler->closed.has_value()) << handler->closed.value_or("");
}

}  // namespace
}  // namespace burrow::io
