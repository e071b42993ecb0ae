#include "proto/mux.hpp"

#include <gtest/gtest.h>

#include "tests/unit/proto/mux_harness.hpp"

namespace burrow::proto {
namespace {

using namespace test;

class MuxPair : public ::testing::TestWithParam<Split> {
protected:
    void SetUp() override { link.establish(); }
    Link link{{}, {}, GetParam()};
};

INSTANTIATE_TEST_SUITE_P(Splits, MuxPair, ::testing::Values(Split::whole, Split::bytewise, Split::random),
                         [](const auto& info) { return split_name(info.param); });

TEST_P(MuxPair, OpenAcceptCarriesTheTarget) {
    const StreamId id = link.client.open("gpu/ssh");
    ASSERT_EQ(id, 1u);
    link.trade();
    const auto opened = events_of<StreamOpened>(link.server_take());
    ASSERT_EQ(opened.size(), 1u);
    EXPECT_EQ(opened[0].stream, id);
    EXPECT_EQ(opened[0].target, "gpu/ssh");
    link.server.accept(id);
    link.trade();
    const auto accepted = events_of<StreamAccepted>(link.client_take());
    ASSERT_EQ(accepted.size(), 1u);
    EXPECT_EQ(accepted[0].stream, id);
    EXPECT_TRUE(link.client.stream_exists(id));
    EXPECT_TRUE(link.server.stream_exists(id));
}

TEST_P(MuxPair, OpenAndAcceptCarryPeerKeys) {
    const StreamId id = link.client.open("gpu/ssh", sample_key(1));
    link.trade();
    const auto opened = events_of<StreamOpened>(link.server_take());
    ASSERT_EQ(opened.size(), 1u);
    EXPECT_EQ(opened[0].opener_key, sample_key(1));
    link.server.accept(id, sample_key(2));
    link.trade();
    const auto accepted = events_of<StreamAccepted>(link.client_take());
    ASSERT_EQ(accepted.size(), 1u);
    EXPECT_EQ(accepted[0].acceptor_key, sample_key(2));
}

TEST_P(MuxPair, StreamsWithoutKeysHaveNone) {
    const StreamId id = link.client.open("gpu/ssh");
    link.trade();
    const auto opened = events_of<StreamOpened>(link.server_take());
    ASSERT_EQ(opened.size(), 1u);
    EXPECT_FALSE(opened[0].opener_key);
    link.server.accept(id);
    link.trade();
    const auto accepted = events_of<StreamAccepted>(link.client_take());
    ASSERT_EQ(accepted.size(), 1u);
    EXPECT_FALSE(accepted[0].acceptor_key);
}

TEST_P(MuxPair, OpenRejectCarriesCodeAndReasonAndClosesTheStream) {
    const StreamId id = link.client.open("gpu/vnc");
    link.trade();
    link.server.reject(id, Errc::unknown_service, "no service vnc on gpu");
    link.trade();
    const auto rejected = events_of<StreamRejected>(link.client_take());
    ASSERT_EQ(rejected.size(), 1u);
    EXPECT_EQ(rejected[0].stream, id);
    EXPECT_EQ(rejected[0].code, Errc::unknown_service);
    EXPECT_EQ(rejected[0].reason, "no service vnc on gpu");
    EXPECT_FALSE(link.client.stream_exists(id));
    EXPECT_FALSE(link.server.stream_exists(id));
}

TEST_P(MuxPair, DataFlowsBothWays) {
    const StreamId id = link.open_accepted();
    EXPECT_EQ(link.client.send(id, bytes("SSH-2.0-client\r\n")), 16u);
    EXPECT_EQ(link.server.send(id, bytes("SSH-2.0-server\r\n")), 16u);
    link.trade();
    EXPECT_EQ(data_for(link.server_take(), id), "SSH-2.0-client\r\n");
    EXPECT_EQ(data_for(link.client_take(), id), "SSH-2.0-server\r\n");
}

TEST_P(MuxPair, ClientFinHalfClosesOnlyClientToServer) {
    const StreamId id = link.open_accepted();
    link.client.send(id, bytes("request"));
    link.client.finish(id);
    link.trade();
    const auto server_events = link.server_take();
    EXPECT_EQ(data_for(server_events, id), "request");
    ASSERT_EQ(events_of<StreamFin>(server_events).size(), 1u);
    EXPECT_EQ(link.client.send_capacity(id), 0u);
    EXPECT_EQ(link.client.send(id, bytes("more")), 0u);
    EXPECT_EQ(link.server.send(id, bytes("response")), 8u);
    link.trade();
    EXPECT_EQ(data_for(link.client_take(), id), "response");
    EXPECT_TRUE(link.client.stream_exists(id));
    EXPECT_TRUE(link.server.stream_exists(id));
}

TEST_P(MuxPair, ServerFinHalfClosesOnlyServerToClient) {
    const StreamId id = link.open_accepted();
    link.server.send(id, bytes("banner"));
    link.server.finish(id);
    link.trade();
    const auto client_events = link.client_take();
    EXPECT_EQ(data_for(client_events, id), "banner");
    EXPECT_TRUE(has_event<StreamFin>(client_events));
    EXPECT_EQ(link.client.send(id, bytes("still talking")), 13u);
    link.trade();
    EXPECT_EQ(data_for(link.server_take(), id), "still talking");
}

TEST_P(MuxPair, StreamClosesAfterBothFins) {
    const StreamId id = link.open_accepted();
    link.client.finish(id);
    link.trade();
    EXPECT_TRUE(link.server.stream_exists(id));
    link.server.finish(id);
    link.trade();
    EXPECT_TRUE(has_event<StreamFin>(link.client_take()));
    EXPECT_FALSE(link.client.stream_exists(id));
    EXPECT_FALSE(link.server.stream_exists(id));
    EXPECT_EQ(link.client.stream_count(), 0u);
    EXPECT_EQ(link.server.stream_count(), 0u);
}

TEST_P(MuxPair, ResetByClientClosesBothSidesWithCodeAndReason) {
    const StreamId id = link.open_accepted();
    link.client.reset(id, Errc::cancelled, "ctrl-c");
    link.trade();
    const auto resets = events_of<StreamReset>(link.server_take());
    ASSERT_EQ(resets.size(), 1u);
    EXPECT_EQ(resets[0].stream, id);
    EXPECT_EQ(resets[0].code, Errc::cancelled);
    EXPECT_EQ(resets[0].reason, "ctrl-c");
    EXPECT_FALSE(link.client.stream_exists(id));
    EXPECT_FALSE(link.server.stream_exists(id));
}

TEST_P(MuxPair, ResetByServerClosesBothSides) {
    const StreamId id = link.open_accepted();
    link.server.reset(id, Errc::service_unavailable, "connection refused");
    link.trade();
    const auto resets = events_of<StreamReset>(link.client_take());
    ASSERT_EQ(resets.size(), 1u);
    EXPECT_EQ(resets[0].code, Errc::service_unavailable);
    EXPECT_FALSE(link.client.stream_exists(id));
    EXPECT_FALSE(link.server.stream_exists(id));
}

TEST_P(MuxPair, PingIsAnsweredWithTheSamePayload) {
    link.client.ping(0xfeedfacecafebeefull);
    link.trade();
    const auto pongs = events_of<PongReceived>(link.client_take());
    ASSERT_EQ(pongs.size(), 1u);
    EXPECT_EQ(pongs[0].payload, 0xfeedfacecafebeefull);
    EXPECT_TRUE(link.server_take().empty());
}

TEST_P(MuxPair, ControlMessagesPassThrough) {
    const std::vector<ControlMessage> messages{Register{"lab", {"ssh", "web"}}, Registered{"lab"}, ListRequest{},
                                               ListReply{{{"lab", {"ssh"}}}}, ControlError{Errc::name_in_use, "taken"}};
    for (const auto& m : messages) link.client.send_control(m);
    link.trade();
    const auto got = events_of<ControlReceived>(link.server_take());
    ASSERT_EQ(got.size(), messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) EXPECT_EQ(got[i].message, messages[i]);
    link.server.send_control(Registered{"lab"});
    link.trade();
    const auto back = events_of<ControlReceived>(link.client_take());
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].message, ControlMessage{Registered{"lab"}});
}

TEST_P(MuxPair, LargeTransferArrivesInOrderThroughSmallWindows) {
    Link small({.stream_window = 4096, .session_window = 16384},
               {.stream_window = 4096, .session_window = 16384}, GetParam());
    small.establish();
    const StreamId id = small.open_accepted();
    const Bytes payload = filled(100 * 1024);
    std::size_t sent = 0;
    std::string received;
    for (int round = 0; received.size() < payload.size() && round < 10000; ++round) {
        sent += small.client.send(id, std::span(payload).subspan(sent));
        small.trade();
        for (const auto& d : events_of<StreamData>(small.server_take())) {
            received += text(d.bytes);
            small.server.grant(id, d.bytes.size(), {});
        }
        small.trade();
    }
    EXPECT_EQ(received, text(payload));
}

TEST(Mux, EachSideSendsHelloImmediately) {
    Mux m(Role::initiator, {.session_window = 123456, .max_frame_payload = 4096});
    const auto frames = take_output(m);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].header.type, FrameType::hello);
    EXPECT_EQ(frames[0].header.stream, 0u);
    EXPECT_EQ(frames[0].payload, hello_payload({1, 2, 123456, 4096}));
}

TEST(Mux, HelloTradeMakesBothSidesReady) {
    Link link;
    EXPECT_FALSE(link.client.ready());
    link.establish();
}

TEST(Mux, InitiatorOpensOddIdsAcceptorEven) {
    Link link;
    link.establish();
    EXPECT_EQ(link.client.open("lab/a"), 1u);
    EXPECT_EQ(link.client.open("lab/b"), 3u);
    EXPECT_EQ(link.server.open("lab/c"), 2u);
    EXPECT_EQ(link.server.open("lab/d"), 4u);
    link.trade();
    EXPECT_EQ(events_of<StreamOpened>(link.server_take()).size(), 2u);
    EXPECT_EQ(events_of<StreamOpened>(link.client_take()).size(), 2u);
}

TEST(Mux, OpenBeforeHelloArrivesIsDeliveredAfterIt) {
    Link link;
    const StreamId id = link.client.open("lab/ssh");
    link.trade();
    const auto events = link.server_take();
    ASSERT_EQ(events.size(), 2u);
    EXPECT_TRUE(std::holds_alternative<Ready>(events[0]));
    EXPECT_EQ(std::get<StreamOpened>(events[1]).stream, id);
}

TEST(Mux, OpenRefusesInvalidTargetsLocally) {
    Link link;
    link.establish();
    EXPECT_EQ(link.client.open(""), 0u);
    EXPECT_EQ(link.client.open("lab/s sh"), 0u);
    EXPECT_EQ(link.client.open(std::string(256, 'a')), 0u);
    EXPECT_EQ(link.client.open("lab/\x7f"), 0u);
    EXPECT_NE(link.client.open(std::string(255, 'a')), 0u);
}

TEST(Mux, FinBeforeAcceptIsSentOnceAccepted) {
    Link link;
    link.establish();
    const StreamId id = link.client.open("lab/echo");
    link.client.finish(id);
    link.trade();
    EXPECT_FALSE(has_event<StreamFin>(link.server_take()));
    link.server.accept(id);
    link.trade();
    EXPECT_TRUE(has_event<StreamFin>(link.server_take()));
}

TEST(Mux, AcceptorFinBeforeAcceptIsSentOnceAccepted) {
    Link link;
    link.establish();
    const StreamId id = link.client.open("lab/echo");
    link.trade();
    link.server.finish(id);
    link.server.accept(id);
    link.trade();
    const auto events = link.client_take();
    EXPECT_TRUE(has_event<StreamAccepted>(events));
    EXPECT_TRUE(has_event<StreamFin>(events));
}

TEST(Mux, DataThenFinArriveInOrder) {
    Link link;
    link.establish();
    const StreamId id = link.open_accepted();
    link.client.send(id, bytes("last words"));
    link.client.finish(id);
    link.trade();
    const auto events = link.server_take();
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(text(std::get<StreamData>(events[0]).bytes), "last words");
    EXPECT_TRUE(std::holds_alternative<StreamFin>(events[1]));
}

TEST(Mux, ResetDropsDataNotYetWritten) {
    Link link;
    link.establish();
    const StreamId id = link.open_accepted();
    link.client.send(id, bytes("never seen"));
    link.client.reset(id, Errc::cancelled, "");
    link.trade();
    const auto events = link.server_take();
    EXPECT_EQ(data_for(events, id), "");
    EXPECT_TRUE(has_event<StreamReset>(events));
}

TEST(Mux, RejectReasonIsCutTo512BytesOnTheWire) {
    Mux server(Role::acceptor);
    take_output(server);
    ASSERT_FALSE(server.receive(concat({hello_frame(), open_frame(1, 4096, "lab/x")})));
    server.reject(1, Errc::unknown_service, std::string(600, 'r'));
    const auto rejects = of_type(take_output(server), FrameType::reject);
    ASSERT_EQ(rejects.size(), 1u);
    EXPECT_EQ(rejects[0].payload.size(), 2 + kMaxReasonLen);
}

}  // namespace
}  // namespace burrow::proto
