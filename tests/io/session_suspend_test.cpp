// A resumable io::Session over in-memory connections: a transport that fails
// suspends it, a new one resumes it, and what the peer missed is replayed
// (docs/PROTOCOL.md §3.6). The peer breaking the rules of resumption is in
// session_resume_test.cpp.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/session_lab.hpp"

namespace burrow::io::test {
namespace {

using namespace std::chrono_literals;

bool both_suspended(SessionLab& lab) {
    return lab.initiator->suspended() && lab.acceptor->suspended() && !lab.initiator_events->suspended.empty() &&
           !lab.acceptor_events->suspended.empty();
}

TEST(SessionSuspend, ACutSuspendsBothSidesAndANewTransportResumesThem) {
    SessionLab lab(true);
    ASSERT_TRUE(lab.up());
    ASSERT_EQ(lab.initiator->ticket(), lab_ticket());
    const auto [id, near, far] = lab.open("lab/keep");
    Bytes expected;
    for (int round = 0; round < 2; ++round) {
        lab.wire->cut();
        ASSERT_TRUE(lab.run([&] { return both_suspended(lab); }));
        EXPECT_EQ(lab.initiator_events->suspended.back(), "the peer closed the connection");
        // Written while there is no transport: kept in the mux until one comes.
        const Bytes more = to_bytes("sent while suspended " + std::to_string(round));
        SessionLab::send(*lab.initiator, id, more);
        expected.insert(expected.end(), more.begin(), more.end());
        ASSERT_TRUE(lab.resume_both());
        ASSERT_TRUE(lab.run([&] { return far->data == expected; }));
    }
    EXPECT_EQ(lab.initiator_events->resumed, 2);
    EXPECT_EQ(lab.acceptor_events->resumed, 2);
    EXPECT_FALSE(lab.initiator->closed());
    EXPECT_FALSE(near->session_closed.has_value());
    EXPECT_FALSE(far->session_closed.has_value());
}

TEST(SessionSuspend, BytesCutShortInsideAFrameAreReplayedExactlyOnce) {
    SessionLab lab(true);
    ASSERT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/bulk");
    ASSERT_TRUE(lab.run([&] { return lab.wire->in_flight(End::b) == 0; }));
    lab.wire->faults(End::b).cut_after = lab.wire->written(End::b) + 40 * 1024 + 3;
    lab.wire->faults(End::b).cut_resets = true;
    const Bytes bulk = pattern(300 * 1024);
    SessionLab::send(*lab.acceptor, id, bulk);
    ASSERT_TRUE(lab.run([&] { return both_suspended(lab); }));
    EXPECT_LT(near->data.size(), bulk.size());
    ASSERT_TRUE(lab.resume_both());
    ASSERT_TRUE(lab.run([&] { return near->data.size() >= bulk.size(); }));
    EXPECT_EQ(near->data, bulk);
}

TEST(SessionSuspend, AFailedWriteSuspendsInsteadOfClosing) {
    SessionLab lab(true);
    ASSERT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/write");
    lab.wire->faults(End::a).fail_write = lab.wire->writes(End::a) + 1;
    const Bytes up = to_bytes("written twice, delivered once");
    SessionLab::send(*lab.initiator, id, up);
    ASSERT_TRUE(lab.run([&] { return both_suspended(lab); }));
    EXPECT_NE(lab.initiator_events->suspended[0].find("injected write failure"), std::string::npos)
        << lab.initiator_events->suspended[0];
    EXPECT_TRUE(far->data.empty());
    ASSERT_TRUE(lab.resume_both());
    ASSERT_TRUE(lab.run([&] { return far->data.size() >= up.size(); }));
    EXPECT_EQ(far->data, up);
}

TEST(SessionSuspend, AFailedReplaySuspendsAgainAndTheNextTransportReplaysIt) {
    SessionLab lab(true);
    ASSERT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/replay");
    ASSERT_TRUE(lab.run([&] { return lab.wire->in_flight(End::a) == 0; }));
    lab.wire->faults(End::a).cut_after = lab.wire->written(End::a) + 5;  // the frame is cut short
    const Bytes up = to_bytes("replayed on the third transport");
    SessionLab::send(*lab.initiator, id, up);
    ASSERT_TRUE(lab.run([&] { return both_suspended(lab); }));
    auto second = make_memory_stream_pair(lab.ctx.get_executor());
    second.wire->faults(End::a).fail_write = 1;  // the replay's write
    lab.wire = second.wire;
    ASSERT_TRUE(lab.initiator->resume(std::move(second.a), lab.acceptor->received_total()));
    ASSERT_TRUE(lab.acceptor->resume(std::move(second.b), lab.initiator->received_total()));
    ASSERT_TRUE(lab.run([&] { return lab.initiator_events->suspended.size() == 2 && both_suspended(lab); }));
    EXPECT_TRUE(far->data.empty());
    ASSERT_TRUE(lab.resume_both());
    ASSERT_TRUE(lab.run([&] { return far->data.size() >= up.size(); }));
    EXPECT_EQ(far->data, up);
}

TEST(SessionSuspend, AFailedReadSuspendsToo) {
    SessionLab lab(true);
    ASSERT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/read");
    lab.wire->faults(End::a).fail_read = lab.wire->reads(End::a) + 1;
    const Bytes down = to_bytes("read after the resume");
    SessionLab::send(*lab.acceptor, id, down);
    ASSERT_TRUE(lab.run([&] { return both_suspended(lab); }));
    ASSERT_TRUE(lab.resume_both());
    ASSERT_TRUE(lab.run([&] { return near->data.size() >= down.size(); }));
    EXPECT_EQ(near->data, down);
}

TEST(SessionSuspend, APeerThatFallsSilentSuspendsTheSession) {
    Liveness liveness;
    liveness.ping_interval = 100ms;
    liveness.dead_after = 1000ms;
    SessionLab lab(true, liveness);
    ASSERT_TRUE(lab.up());
    lab.wire->faults(End::b).stall_write = lab.wire->writes(End::b) + 1;
    ASSERT_TRUE(lab.run([&] { return lab.initiator->suspended(); }));
    EXPECT_NE(lab.initiator_events->suspended[0].find("no sign of life"), std::string::npos)
        << lab.initiator_events->suspended[0];
    EXPECT_FALSE(lab.initiator->closed());
}

TEST(SessionSuspend, AnAckForBytesNeverSentClosesTheSession) {
    SessionLab lab(true);
    ASSERT_TRUE(lab.up());
    lab.initiator->mux().ack(lab.initiator->received_total() + 1'000'000);
    lab.initiator->flush();
    ASSERT_TRUE(lab.run([&] { return lab.acceptor->closed(); }));
    EXPECT_EQ(lab.acceptor_events->closed, "protocol error: the peer acknowledged bytes never sent");
}

TEST(SessionSuspend, ASecondTicketIsAProtocolError) {
    SessionLab lab(true);
    ASSERT_TRUE(lab.up());
    lab.acceptor->mux().send_control(lab_ticket());
    lab.acceptor->flush();
    ASSERT_TRUE(lab.run([&] { return lab.initiator->closed(); }));
    EXPECT_EQ(lab.initiator_events->closed, "protocol error: a second RESUME_TICKET");
}

TEST(SessionSuspend, ATransportKnownLostSuspendsTheSession) {
    SessionLab lab(true);
    ASSERT_TRUE(lab.up());
    lab.acceptor->transport_lost("the peer came back on another connection");
    EXPECT_TRUE(lab.acceptor->suspended());
    ASSERT_EQ(lab.acceptor_events->suspended.size(), 1u);
    EXPECT_EQ(lab.acceptor_events->suspended[0], "the peer came back on another connection");
    EXPECT_TRUE(lab.wire->closed(End::b));
    ASSERT_TRUE(lab.run([&] { return lab.initiator->suspended(); }));
}

TEST(SessionSuspend, AResumeAskingForBytesNeverWrittenClosesTheSession) {
    SessionLab lab(true);
    ASSERT_TRUE(lab.up());
    const auto near = lab.open("lab/lie").near;
    lab.wire->cut();
    ASSERT_TRUE(lab.run([&] { return both_suspended(lab); }));
    auto link = make_memory_stream_pair(lab.ctx.get_executor());
    const std::uint64_t claimed = lab.initiator->received_total() + 1000;
    EXPECT_FALSE(lab.acceptor->resume(std::move(link.b), claimed));
    EXPECT_TRUE(lab.acceptor->closed());
    ASSERT_TRUE(lab.acceptor_events->closed.has_value());
    EXPECT_NE(lab.acceptor_events->closed->find("cannot resume"), std::string::npos) << *lab.acceptor_events->closed;
    EXPECT_TRUE(lab.acceptor_events->streams.begin()->second->session_closed.has_value());
}

TEST(SessionSuspend, ASessionThatIsNotSuspendedIsNotResumed) {
    SessionLab lab(true);
    ASSERT_TRUE(lab.up());
    auto link = make_memory_stream_pair(lab.ctx.get_executor());
    EXPECT_FALSE(lab.initiator->resume(std::move(link.a), lab.acceptor->received_total()));
    EXPECT_FALSE(lab.initiator->closed());
    const auto near = lab.open("lab/still").near;
    EXPECT_TRUE(near->accepted);  // the first transport carries on
}

TEST(SessionSuspend, ASessionNotResumedInTimeCloses) {
    Liveness liveness;
    liveness.resume_grace = 200ms;
    SessionLab lab(true, liveness);
    ASSERT_TRUE(lab.up());
    const auto near = lab.open("lab/late").near;
    lab.wire->cut();
    ASSERT_TRUE(lab.both_closed());
    ASSERT_TRUE(lab.initiator_events->closed.has_value());
    EXPECT_NE(lab.initiator_events->closed->find("not resumed in time"), std::string::npos)
        << lab.initiator_events->closed.value_or("");
    EXPECT_TRUE(near->session_closed.has_value());
    EXPECT_TRUE(lab.initiator->finished());
    auto link = make_memory_stream_pair(lab.ctx.get_executor());
    EXPECT_FALSE(lab.initiator->resume(std::move(link.a), 0));
}

}  // namespace
}  // namespace burrow::io::test
