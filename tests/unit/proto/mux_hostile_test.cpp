#include "proto/mux.hpp"

#include <gtest/gtest.h>

#include "tests/unit/proto/mux_harness.hpp"

namespace burrow::proto {
namespace {

using namespace test;

// ---- framing ------------------------------------------------------------------------

TEST(MuxHostile, TruncatedFrameDoesNothingUntilComplete) {
    Hostile h;
    const Bytes open = open_frame(1, 4096, "lab/ssh");
    for (std::size_t i = 0; i + 1 < open.size(); ++i) {
        ASSERT_FALSE(h.mux.receive(std::span(open).subspan(i, 1)));
        EXPECT_FALSE(h.mux.poll_event()) << i;
        EXPECT_TRUE(h.mux.pending_output().empty()) << i;
    }
    ASSERT_FALSE(h.mux.receive(std::span(open).last(1)));
    const auto opened = events_of<StreamOpened>(drain_events(h.mux));
    ASSERT_EQ(opened.size(), 1u);
    EXPECT_EQ(opened[0].target, "lab/ssh");
}

TEST(MuxHostile, OversizeLengthIsFatal) {
    Hostile h;
    expect_fatal(h.mux, h.feed(raw_header(4, 0, 1, 16 * 1024 + 1)), Errc::frame_too_large);
}

TEST(MuxHostile, HugeLengthIsFatalBeforeAnyPayloadArrives) {
    Hostile h;
    expect_fatal(h.mux, h.feed(raw_header(9, 0, 0, 0xffffffff)), Errc::frame_too_large);
    EXPECT_LT(h.mux.buffered_bytes(), 1024u);
}

class AnnouncedMaxPayload : public ::testing::TestWithParam<std::uint32_t> {};

INSTANTIATE_TEST_SUITE_P(Limits, AnnouncedMaxPayload, ::testing::Values(0u, 100u, 1024u, 2048u, 16384u, 65536u, 100000u));

TEST_P(AnnouncedMaxPayload, IsExactlyTheLengthEnforced) {
    Mux m(Role::acceptor, {.max_frame_payload = GetParam()});
    const auto hello = take_output(m);
    ASSERT_EQ(hello.size(), 1u);
    const std::uint32_t announced = load_be32(hello[0].payload.data() + 8);
    EXPECT_GE(announced, 1024u);
    EXPECT_LE(announced, 65536u);
    ASSERT_FALSE(m.receive(hello_frame())) << "HELLO rejected by a mux that announced " << announced;
    Bytes goaway = concat({Bytes{0, 18}, Bytes(announced - 2, 'r')});
    EXPECT_FALSE(m.receive(payload_frame(FrameType::goaway, 0, goaway))) << "announced " << announced;
    if (announced < FrameHeader::kMaxPayload) {
        goaway.push_back('r');
        EXPECT_EQ(m.receive(payload_frame(FrameType::goaway, 0, goaway)), Errc::frame_too_large);
    }
}

TEST(MuxHostile, UnknownFrameTypeIsFatal) {
    for (std::uint8_t type : {11, 12, 0x80, 0xff}) {
        Hostile h;
        expect_fatal(h.mux, h.feed(raw_header(type, 0, 0, 0)), Errc::unknown_frame_type);
    }
}

TEST(MuxHostile, UndefinedFlagBitIsFatal) {
    Hostile h;
    expect_fatal(h.mux, h.feed(frame(FrameType::data, 0x04, 1, {})), Errc::malformed_frame);
    Hostile h2;
    expect_fatal(h2.mux, h2.feed(payload_frame(FrameType::open, 1, {0, 0, 0, 0, 0, 'a'}, kFlagFin)),
                 Errc::malformed_frame);
}

TEST(MuxHostile, StreamTypesOnStreamZeroAreFatal) {
    Hostile h;
    expect_fatal(h.mux, h.feed(data_frame(0, "x")), Errc::bad_stream_id);
    Hostile h2;
    expect_fatal(h2.mux, h2.feed(open_frame(0, 4096, "lab/ssh")), Errc::bad_stream_id);
}

TEST(MuxHostile, SessionTypesOffStreamZeroAreFatal) {
    Hostile h;
    expect_fatal(h.mux, h.feed(payload_frame(FrameType::ping, 1, u64_payload(1))), Errc::bad_stream_id);
}

TEST(MuxHostile, FramesAfterAFatalOneInTheSameInputAreNotProcessed) {
    Hostile h;
    const auto ec = h.feed(concat({open_frame(2, 4096, "lab/a"), open_frame(1, 4096, "lab/b")}));
    EXPECT_FALSE(has_event<StreamOpened>(drain_events(h.mux)));
    expect_fatal(h.mux, ec, Errc::bad_stream_id);
}

TEST(MuxHostile, AfterAFatalErrorNoStreamCanBeOpened) {
    Hostile h;
    ASSERT_TRUE(h.feed(raw_header(12, 0, 0, 0)));
    EXPECT_EQ(h.mux.open("lab/ssh"), 0u);
}

// ---- credit -------------------------------------------------------------------------

TEST(MuxHostile, DataBeyondStreamCreditResetsOnlyThatStream) {
    Hostile h(Role::acceptor, {.stream_window = 1024});
    ASSERT_FALSE(h.feed(concat({open_frame(1, 4096, "lab/a"), open_frame(3, 4096, "lab/b")})));
    h.mux.accept(1);
    h.mux.accept(3);
    take_output(h.mux);
    drain_events(h.mux);
    ASSERT_FALSE(h.feed(data_frame(1, filled(1025))));
    const auto resets = frames_on(take_output(h.mux), FrameType::reset, 1);
    ASSERT_EQ(resets.size(), 1u);
    EXPECT_EQ(resets[0].code(), static_cast<std::uint16_t>(Errc::flow_control));
    const auto events = drain_events(h.mux);
    EXPECT_EQ(data_for(events, 1), "");
    const auto reset_events = events_of<StreamReset>(events);
    ASSERT_EQ(reset_events.size(), 1u);
    EXPECT_EQ(reset_events[0].stream, 1u);
    EXPECT_EQ(reset_events[0].code, Errc::flow_control);
    EXPECT_FALSE(h.mux.stream_exists(1));
    EXPECT_FALSE(h.mux.failed());
    ASSERT_FALSE(h.feed(data_frame(3, filled(1024))));
    EXPECT_EQ(data_for(drain_events(h.mux), 3).size(), 1024u);
    EXPECT_TRUE(h.mux.stream_exists(3));
}

TEST(MuxHostile, DataBeforeAcceptIsAFlowControlReset) {
    Hostile h;
    ASSERT_FALSE(h.feed(open_frame(1, 4096, "lab/a")));
    drain_events(h.mux);
    ASSERT_FALSE(h.feed(data_frame(1, "too early")));
    const auto resets = frames_on(take_output(h.mux), FrameType::reset, 1);
    ASSERT_EQ(resets.size(), 1u);
    EXPECT_EQ(resets[0].code(), static_cast<std::uint16_t>(Errc::flow_control));
    EXPECT_FALSE(h.mux.stream_exists(1));
}

TEST(MuxHostile, DataBeyondSessionCreditIsFatal) {
    Hostile h(Role::acceptor, {.session_window = 4096});
    ASSERT_FALSE(h.feed(concat({open_frame(1, 4096, "lab/a"), open_frame(3, 4096, "lab/b")})));
    h.mux.accept(1);
    h.mux.accept(3);
    take_output(h.mux);
    ASSERT_FALSE(h.feed(data_frame(1, filled(3000))));
    expect_fatal(h.mux, h.feed(data_frame(3, filled(1097))), Errc::flow_control);
}

TEST(MuxHostile, DataAfterFinResetsTheStreamWithProtocolError) {
    Hostile h = with_accepted_stream();
    ASSERT_FALSE(h.feed(data_frame(1, "bye", true)));
    drain_events(h.mux);
    ASSERT_FALSE(h.feed(data_frame(1, "more")));
    const auto resets = frames_on(take_output(h.mux), FrameType::reset, 1);
    ASSERT_EQ(resets.size(), 1u);
    EXPECT_EQ(resets[0].code(), static_cast<std::uint16_t>(Errc::protocol_error));
    const auto events = drain_events(h.mux);
    EXPECT_EQ(data_for(events, 1), "");
    EXPECT_TRUE(has_event<StreamReset>(events));
    EXPECT_FALSE(h.mux.failed());
}

TEST(MuxHostile, WindowIncrementOfZeroIsMalformed) {
    Hostile h = with_accepted_stream();
    expect_fatal(h.mux, h.feed(window_frame(1, 0)), Errc::malformed_frame);
    Hostile h2;
    expect_fatal(h2.mux, h2.feed(window_frame(0, 0)), Errc::malformed_frame);
}

TEST(MuxHostile, WindowOfWrongSizeIsMalformed) {
    Hostile h;
    expect_fatal(h.mux, h.feed(payload_frame(FrameType::window, 0, {0, 0, 1})), Errc::malformed_frame);
    Hostile h2;
    expect_fatal(h2.mux, h2.feed(payload_frame(FrameType::window, 0, {0, 0, 0, 1, 0})), Errc::malformed_frame);
}

TEST(MuxHostile, SessionCreditAboveTwoToThe31IsFatal) {
    Hostile h(Role::acceptor, {}, {.session_window = 0x7fffffff});
    expect_fatal(h.mux, h.feed(window_frame(0, 1)), Errc::flow_control);
}

TEST(MuxHostile, StreamCreditAboveTwoToThe31IsFatal) {
    Hostile h = with_accepted_stream({}, 0x7fffffff);
    expect_fatal(h.mux, h.feed(window_frame(1, 1)), Errc::flow_control);
}

TEST(MuxHostile, WindowBeforeAcceptCountsTowardTheCreditLimit) {
    Hostile h = with_own_waiting_stream();
    ASSERT_FALSE(h.feed(window_frame(2, 0x7fffffff)));
    expect_fatal(h.mux, h.feed(accept_frame(2, 1)), Errc::flow_control);
}

TEST(MuxHostile, StreamCreditUpToTwoToThe31IsFine) {
    Hostile h = with_accepted_stream({}, 0x7ffffff0);
    EXPECT_FALSE(h.feed(window_frame(1, 0xf)));
}

// ---- stream ids ------------------------------------------------------------------------

TEST(MuxHostile, FramesForNeverUsedIdsAreFatal) {
    const std::vector<std::pair<const char*, Bytes (*)(StreamId)>> kinds{
        {"data", [](StreamId id) { return data_frame(id, "x"); }},
        {"window", [](StreamId id) { return window_frame(id, 10); }},
        {"reset", [](StreamId id) { return coded_frame(FrameType::reset, id, Errc::cancelled, ""); }},
        {"accept", [](StreamId id) { return accept_frame(id, 10); }},
        {"reject", [](StreamId id) { return coded_frame(FrameType::reject, id, Errc::bad_target, ""); }},
    };
    for (const auto& [name, make] : kinds) {
        for (StreamId id : {StreamId{5}, StreamId{2}, StreamId{0x7ffffffe}}) {
            SCOPED_TRACE(std::string(name) + " on " + std::to_string(id));
            Hostile h;
            expect_fatal(h.mux, h.feed(make(id)), Errc::bad_stream_id);
        }
    }
}

TEST(MuxHostile, FramesForAnIdAboveEveryUsedOneAreFatal) {
    Hostile h = with_accepted_stream();
    expect_fatal(h.mux, h.feed(data_frame(3, "x")), Errc::bad_stream_id);
}

TEST(MuxHostile, DataWindowResetForAStreamThePeerResetAreIgnored) {
    Hostile h = with_accepted_stream();
    ASSERT_FALSE(h.feed(coded_frame(FrameType::reset, 1, Errc::cancelled, "")));
    drain_events(h.mux);
    EXPECT_FALSE(h.feed(data_frame(1, "late")));
    EXPECT_FALSE(h.feed(window_frame(1, 100)));
    EXPECT_FALSE(h.feed(coded_frame(FrameType::reset, 1, Errc::cancelled, "")));
    EXPECT_TRUE(drain_events(h.mux).empty());
    EXPECT_FALSE(h.mux.failed());
}

TEST(MuxHostile, FramesForAStreamThisSideResetAreIgnored) {
    Hostile h = with_accepted_stream();
    h.mux.reset(1, Errc::cancelled, "");
    take_output(h.mux);
    EXPECT_FALSE(h.feed(data_frame(1, "late", true)));
    EXPECT_FALSE(h.feed(window_frame(1, 100)));
    EXPECT_FALSE(h.feed(coded_frame(FrameType::reset, 1, Errc::cancelled, "")));
    EXPECT_TRUE(drain_events(h.mux).empty());
}

TEST(MuxHostile, FramesForAStreamClosedByBothFinsAreIgnored) {
    Hostile h = with_accepted_stream();
    h.mux.finish(1);
    take_output(h.mux);
    ASSERT_FALSE(h.feed(data_frame(1, "", true)));
    drain_events(h.mux);
    ASSERT_FALSE(h.mux.stream_exists(1));
    EXPECT_FALSE(h.feed(data_frame(1, "late")));
    EXPECT_FALSE(h.feed(window_frame(1, 100)));
    EXPECT_FALSE(h.feed(coded_frame(FrameType::reset, 1, Errc::cancelled, "")));
    EXPECT_TRUE(drain_events(h.mux).empty());
}

TEST(MuxHostile, DataForAClosedStreamCountsAgainstSessionCreditAndIsReturned) {
    Hostile h(Role::acceptor, {.session_window = 4096});
    ASSERT_FALSE(h.feed(open_frame(1, 4096, "lab/a")));
    h.mux.reject(1, Errc::unknown_service, "");
    take_output(h.mux);
    for (int i = 0; i < 16; ++i) ASSERT_FALSE(h.feed(data_frame(1, filled(1024)))) << i;
    EXPECT_FALSE(frames_on(take_output(h.mux), FrameType::window, 0).empty());
}

TEST(MuxHostile, DataForAClosedStreamBeyondSessionCreditIsFatal) {
    Hostile h(Role::acceptor, {.session_window = 4096});
    ASSERT_FALSE(h.feed(open_frame(1, 4096, "lab/a")));
    h.mux.reject(1, Errc::unknown_service, "");
    take_output(h.mux);
    expect_fatal(h.mux, h.feed(data_frame(1, filled(4097))), Errc::flow_control);
}

TEST(MuxHostile, OpenReusingAnIdIsFatal) {
    Hostile h;
    ASSERT_FALSE(h.feed(open_frame(1, 4096, "lab/a")));
    expect_fatal(h.mux, h.feed(open_frame(1, 4096, "lab/a")), Errc::bad_stream_id);
}

TEST(MuxHostile, OpenBelowAnEarlierIdIsFatal) {
    Hostile h;
    ASSERT_FALSE(h.feed(open_frame(5, 4096, "lab/a")));
    expect_fatal(h.mux, h.feed(open_frame(3, 4096, "lab/b")), Errc::bad_stream_id);
}

TEST(MuxHostile, OpenReusingTheIdOfAClosedStreamIsFatal) {
    Hostile h;
    ASSERT_FALSE(h.feed(open_frame(1, 4096, "lab/a")));
    h.mux.reject(1, Errc::unknown_service, "");
    expect_fatal(h.mux, h.feed(open_frame(1, 4096, "lab/a")), Errc::bad_stream_id);
}

TEST(MuxHostile, OpenWithTheWrongParityIsFatal) {
    Hostile h;
    expect_fatal(h.mux, h.feed(open_frame(2, 4096, "lab/a")), Errc::bad_stream_id);
    Hostile initiator(Role::initiator);
    expect_fatal(initiator.mux, initiator.feed(open_frame(1, 4096, "lab/a")), Errc::bad_stream_id);
}

TEST(MuxHostile, OpenMaySkipIds) {
    Hostile h;
    ASSERT_FALSE(h.feed(open_frame(1, 4096, "lab/a")));
    ASSERT_FALSE(h.feed(open_frame(9, 4096, "lab/b")));
    EXPECT_EQ(events_of<StreamOpened>(drain_events(h.mux)).size(), 2u);
}

}  // namespace
}  // namespace burrow::proto
