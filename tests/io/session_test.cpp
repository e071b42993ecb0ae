// io::Session over an in-memory connection: streams and bytes both ways, and
// each way the transport can fail under it (tests/support/memory_stream.hpp).
#include <gtest/gtest.h>

#include <string>

#include "tests/support/run_until.hpp"
#include "tests/support/session_lab.hpp"

namespace burrow::io::test {
namespace {

bool has(const std::optional<std::string>& text, const std::string& part) {
    return text && text->find(part) != std::string::npos;
}

TEST(Session, CarriesAStreamsBytesBothWaysAndItsFins) {
    SessionLab lab;
    ASSERT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/echo");
    ASSERT_TRUE(near->accepted);
    ASSERT_EQ(lab.acceptor_events->targets, std::vector<std::string>{"lab/echo"});
    ASSERT_TRUE(far);

    const Bytes up = pattern(200 * 1024);
    const Bytes down = to_bytes("the other way");
    SessionLab::send(*lab.initiator, id, up);
    lab.initiator->mux().finish(id);
    SessionLab::send(*lab.acceptor, id, down);
    lab.acceptor->mux().finish(id);
    ASSERT_TRUE(lab.run([&] { return far->fin && near->fin; }));
    EXPECT_EQ(far->data, up);
    EXPECT_EQ(near->data, down);
    EXPECT_FALSE(lab.initiator->closed());
    EXPECT_FALSE(lab.acceptor->closed());
}

TEST(Session, BytesHandedOverOneAtATimeArriveWhole) {
    SessionLab lab;
    lab.wire->faults(End::a).one_byte_reads = true;
    lab.wire->faults(End::b).one_byte_reads = true;
    ASSERT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/slow");
    const Bytes up = pattern(3000);
    SessionLab::send(*lab.initiator, id, up);
    ASSERT_TRUE(lab.run([&] { return far->data.size() >= up.size(); }));
    EXPECT_EQ(far->data, up);
}

TEST(Session, ARejectedStreamIsToldWhy) {
    SessionLab lab;
    lab.acceptor_events->refuse_streams = true;
    ASSERT_TRUE(lab.up());
    const auto near = lab.open("lab/none").near;
    ASSERT_TRUE(near->rejected.has_value());
    EXPECT_EQ(near->rejected->first, proto::Errc::unknown_service);
    EXPECT_EQ(near->rejected->second, "not here");
}

TEST(Session, AMuxCommandGoesOutOnFlush) {
    SessionLab lab;
    ASSERT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/flush");
    ASSERT_TRUE(lab.run([&] { return lab.wire->in_flight(End::a) == 0 && lab.wire->in_flight(End::b) == 0; }));
    lab.ctx.poll();  // both writers go idle
    const Bytes hello = to_bytes("queued");
    ASSERT_EQ(lab.initiator->mux().send(id, hello), hello.size());
    const std::size_t before = lab.wire->written(End::a);
    lab.ctx.poll();
    EXPECT_EQ(lab.wire->written(End::a), before);  // the writer sleeps until told
    lab.initiator->flush();
    ASSERT_TRUE(lab.run([&] { return far->data == hello; }));
    EXPECT_GT(lab.wire->written(End::a), before);
}

// The acceptor's next write is cut after `keep` of its bytes, inside the frame.
void cut_mid_frame(SessionLab& lab, std::size_t keep, bool reset) {
    ASSERT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/cut");
    ASSERT_TRUE(lab.run([&] { return lab.wire->in_flight(End::b) == 0; }));
    lab.wire->faults(End::b).cut_after = lab.wire->written(End::b) + keep;
    lab.wire->faults(End::b).cut_resets = reset;
    SessionLab::send(*lab.acceptor, id, pattern(1000));
    ASSERT_TRUE(lab.both_closed());
    EXPECT_LT(near->data.size(), 1000u);  // the frame never arrived whole
    ASSERT_TRUE(near->session_closed.has_value());
    EXPECT_EQ(near->session_closed_calls, 1);
    EXPECT_EQ(lab.initiator_events->closed, near->session_closed);
    EXPECT_EQ(lab.initiator_events->closed_calls, 1);
}

TEST(Session, APeerThatClosesInsideAFrameEndsTheSession) {
    SessionLab lab;
    cut_mid_frame(lab, 7, false);
    EXPECT_EQ(lab.initiator_events->closed, "the peer closed the connection");
}

TEST(Session, AConnectionResetInsideAFrameEndsTheSession) {
    SessionLab lab;
    cut_mid_frame(lab, 7, true);
    EXPECT_TRUE(has(lab.initiator_events->closed, "Connection reset")) << lab.initiator_events->closed.value_or("");
    EXPECT_TRUE(has(lab.acceptor_events->closed, "Connection reset")) << lab.acceptor_events->closed.value_or("");
}

TEST(Session, AFailedReadEndsTheSessionAndTellsItsStreams) {
    SessionLab lab;
    ASSERT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/read");
    lab.wire->faults(End::a).fail_read = lab.wire->reads(End::a) + 1;
    SessionLab::send(*lab.acceptor, id, to_bytes("never read"));
    ASSERT_TRUE(lab.both_closed());
    EXPECT_TRUE(has(lab.initiator_events->closed, "injected read failure"))
        << lab.initiator_events->closed.value_or("");
    EXPECT_TRUE(near->data.empty());
    EXPECT_TRUE(has(near->session_closed, "injected read failure"));
    EXPECT_TRUE(far->session_closed.has_value());
    // The initiator said goodbye (GOAWAY) before it closed: the acceptor heard it.
    ASSERT_EQ(lab.acceptor_events->goaways.size(), 1u);
    EXPECT_EQ(lab.acceptor_events->goaways[0].first, proto::Errc::cancelled);
}

TEST(Session, AFailedWriteEndsTheSession) {
    SessionLab lab;
    ASSERT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/write");
    lab.wire->faults(End::a).fail_write = lab.wire->writes(End::a) + 1;
    SessionLab::send(*lab.initiator, id, to_bytes("lost"));
    ASSERT_TRUE(lab.both_closed());
    EXPECT_TRUE(has(lab.initiator_events->closed, "injected write failure"))
        << lab.initiator_events->closed.value_or("");
    EXPECT_TRUE(far->data.empty());
    EXPECT_TRUE(near->session_closed.has_value());
    EXPECT_TRUE(far->session_closed.has_value());
    EXPECT_TRUE(lab.run([&] { return lab.initiator->finished(); }));
}

TEST(Session, AWriteThatNeverCompletesIsGivenUpOnAfterClose) {
    SessionLab lab;
    ASSERT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/stall");
    lab.wire->faults(End::a).stall_write = lab.wire->writes(End::a) + 1;
    SessionLab::send(*lab.initiator, id, to_bytes("stuck"));
    lab.ctx.poll();
    lab.initiator->close("done here");
    EXPECT_TRUE(lab.initiator->closed());
    ASSERT_TRUE(lab.run([&] { return lab.initiator->finished(); }));  // the linger closes the transport
    EXPECT_TRUE(lab.wire->closed(End::a));
    EXPECT_TRUE(lab.run([&] { return lab.acceptor->closed(); }));
    EXPECT_EQ(lab.acceptor_events->closed, "the peer closed the connection");
}

TEST(Session, APeerThatFallsSilentIsGivenUpOn) {
    Liveness liveness;
    liveness.ping_interval = std::chrono::milliseconds(100);
    liveness.dead_after = std::chrono::milliseconds(1000);
    SessionLab lab(false, liveness);
    ASSERT_TRUE(lab.up());
    lab.wire->faults(End::b).stall_write = lab.wire->writes(End::b) + 1;  // its PONGs never leave
    ASSERT_TRUE(lab.run([&] { return lab.initiator->closed(); }));
    EXPECT_TRUE(has(lab.initiator_events->closed, "no sign of life from the peer"))
        << lab.initiator_events->closed.value_or("");
}

TEST(Session, CloseIsIdempotentAndThePeerHearsWhy) {
    SessionLab lab;
    ASSERT_TRUE(lab.up());
    const auto near = lab.open("lab/bye").near;
    lab.initiator->close("maintenance");
    lab.initiator->close("again");
    ASSERT_TRUE(lab.run([&] { return lab.acceptor->closed() && lab.initiator->finished(); }));
    EXPECT_EQ(lab.initiator_events->closed, "maintenance");
    EXPECT_EQ(lab.initiator_events->closed_calls, 1);
    EXPECT_EQ(near->session_closed_calls, 1);
    EXPECT_EQ(lab.acceptor_events->closed, "closed by the peer (maintenance)");
    auto late = std::make_shared<StreamRecord>(*lab.initiator, 99);
    lab.initiator->attach(99, late);
    EXPECT_EQ(late->session_closed, "session closed");
}

TEST(Session, AGoawayToDrainKeepsTheSessionAndItsStreams) {
    SessionLab lab;
    ASSERT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/drain");
    lab.acceptor->mux().goaway(proto::Errc::going_away, "restarting soon");
    lab.acceptor->flush();
    ASSERT_TRUE(lab.run([&] { return !lab.initiator_events->goaways.empty(); }));
    EXPECT_EQ(lab.initiator_events->goaways[0].first, proto::Errc::going_away);
    EXPECT_EQ(lab.initiator_events->goaways[0].second, "restarting soon");
    SessionLab::send(*lab.initiator, id, to_bytes("still here"));
    ASSERT_TRUE(lab.run([&] { return far->data.size() == 10; }));
    EXPECT_FALSE(lab.initiator->closed());
    EXPECT_EQ(lab.initiator->mux().open("lab/new"), 0u);  // no new streams toward a peer going away
}

TEST(Session, AGoawayWithAnErrorIsARefusal) {
    SessionLab lab;
    ASSERT_TRUE(lab.up());
    lab.acceptor->mux().goaway(proto::Errc::not_authorized, "unknown key");
    lab.acceptor->flush();
    ASSERT_TRUE(lab.run([&] { return lab.initiator->closed(); }));
    EXPECT_EQ(lab.initiator_events->closed, "refused by the peer: unknown key");
}

// A Session as the acceptor and, at the other end, the test with raw bytes.
struct RawPeer {
    explicit RawPeer(std::vector<std::uint8_t> initial_input = {}) {
        auto link = make_memory_stream_pair(ctx.get_executor());
        raw = std::move(link.a);
        wire = link.wire;
        session = std::make_shared<Session>(ctx.get_executor(), std::move(link.b), proto::Role::acceptor,
                                            proto::MuxLimits{}, events, Liveness{}, std::move(initial_input));
        session->start();
    }
    // Everything the session wrote until it closed the connection, as a bare mux sees it.
    std::vector<proto::MuxEvent> replies() {
        Bytes got;
        const std::string ended = run_task(ctx, [&]() -> awaitable<void> {
            Bytes buf(4096);
            for (;;) {
                const std::size_t n = co_await raw->read_some(buf);
                if (n == 0) co_return;
                got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
            }
        });
        EXPECT_EQ(ended, "");
        proto::Mux bare(proto::Role::initiator);
        EXPECT_FALSE(bare.receive(got));
        std::vector<proto::MuxEvent> events_seen;
        while (auto e = bare.poll_event()) events_seen.push_back(std::move(*e));
        return events_seen;
    }

    asio::io_context ctx;
    std::unique_ptr<ByteStream> raw;
    std::shared_ptr<MemoryWire> wire;
    std::shared_ptr<SessionRecord> events = std::make_shared<SessionRecord>(false);
    std::shared_ptr<Session> session;
};

std::optional<proto::GoAwayReceived> goaway_in(const std::vector<proto::MuxEvent>& events) {
    for (const auto& e : events)
        if (const auto* g = std::get_if<proto::GoAwayReceived>(&e)) return *g;
    return std::nullopt;
}

TEST(Session, GarbageFromThePeerClosesTheSessionWithAGoaway) {
    RawPeer peer;
    const std::string banner = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
    EXPECT_EQ(run_task(peer.ctx, [&]() -> awaitable<void> {
                  const Bytes b = to_bytes(banner);
                  co_await peer.raw->write_all(b);
              }),
              "");
    const auto events = peer.replies();
    ASSERT_TRUE(peer.session->closed());
    EXPECT_TRUE(has(peer.events->closed, "protocol error")) << peer.events->closed.value_or("");
    const auto goaway = goaway_in(events);
    ASSERT_TRUE(goaway.has_value());
    EXPECT_NE(goaway->code, proto::Errc::cancelled);
    EXPECT_TRUE(peer.wire->closed(End::b));
}

TEST(Session, GarbageReadBeforeTheSessionStartedClosesItToo) {
    RawPeer peer(to_bytes("GET / HTTP/1.1\r\n\r\n"));
    const auto events = peer.replies();
    ASSERT_TRUE(peer.session->closed());
    EXPECT_TRUE(has(peer.events->closed, "protocol error")) << peer.events->closed.value_or("");
    EXPECT_TRUE(goaway_in(events).has_value());
}

}  // namespace
}  // namespace burrow::io::test
