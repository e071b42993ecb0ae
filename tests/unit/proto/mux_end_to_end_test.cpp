// Mux::mark_end_to_end and the E2E flag on DATA (docs/PROTOCOL.md §2.3).
#include <gtest/gtest.h>

#include "proto/mux.hpp"
#include "tests/unit/proto/mux_harness.hpp"

namespace burrow::proto {
namespace {

using namespace test;

std::vector<ParsedFrame> data_frames(Mux& m) { return of_type(take_output(m), FrameType::data); }

TEST(MuxEndToEnd, BytesQueuedBeforeTheMarkGoUnflaggedAndTheRestFlagged) {
    Link link;
    link.establish();
    const StreamId id = link.open_accepted();
    const Bytes handshake = filled(300, 1);
    const Bytes records = filled(500, 2);
    ASSERT_EQ(link.client.send(id, handshake), handshake.size());
    link.client.mark_end_to_end(id);
    ASSERT_EQ(link.client.send(id, records), records.size());
    const auto frames = data_frames(link.client);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].header.flags, 0);
    EXPECT_EQ(frames[0].payload, handshake);
    EXPECT_EQ(frames[1].header.flags, kFlagE2e);
    EXPECT_EQ(frames[1].payload, records);
}

TEST(MuxEndToEnd, AMarkWithNothingQueuedFlagsEveryFrame) {
    Link link;
    link.establish();
    const StreamId id = link.open_accepted();
    link.client.mark_end_to_end(id);
    link.client.mark_end_to_end(id);  // again: nothing changes
    ASSERT_EQ(link.client.send(id, filled(40000)), 40000u);
    link.client.finish(id);
    const auto frames = data_frames(link.client);
    ASSERT_EQ(frames.size(), 3u);  // cut by the write quantum (16 KiB)
    for (const auto& f : frames) EXPECT_TRUE(f.header.flags & kFlagE2e);
    EXPECT_TRUE(frames.back().header.flags & kFlagFin);
}

TEST(MuxEndToEnd, AnEmptyFinFrameIsNotFlagged) {
    Link link;
    link.establish();
    const StreamId id = link.open_accepted();
    link.client.mark_end_to_end(id);
    ASSERT_EQ(link.client.send(id, filled(10)), 10u);
    ASSERT_EQ(data_frames(link.client).size(), 1u);
    link.client.finish(id);
    const auto frames = data_frames(link.client);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].header.flags, kFlagFin);
}

TEST(MuxEndToEnd, TheMarkSplitsAFrameThatWouldHaveSpannedIt) {
    Link link;
    link.establish();
    const StreamId id = link.open_accepted();
    ASSERT_EQ(link.client.send(id, filled(100)), 100u);
    link.client.mark_end_to_end(id);
    ASSERT_EQ(link.client.send(id, filled(100)), 100u);
    link.client.finish(id);
    const auto frames = data_frames(link.client);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].payload.size(), 100u);
    EXPECT_EQ(frames[0].header.flags, 0);
    EXPECT_EQ(frames[1].payload.size(), 100u);
    EXPECT_EQ(frames[1].header.flags, kFlagE2e | kFlagFin);
}

TEST(MuxEndToEnd, TheReceiverIsToldOnceBeforeTheFirstFlaggedBytes) {
    Link link;
    link.establish();
    const StreamId id = link.open_accepted();
    ASSERT_EQ(link.client.send(id, bytes("hs")), 2u);
    link.trade();
    auto events = link.server_take();
    EXPECT_FALSE(has_event<StreamEndToEnd>(events));
    EXPECT_EQ(data_for(events, id), "hs");
    link.client.mark_end_to_end(id);
    ASSERT_EQ(link.client.send(id, bytes("r1")), 2u);
    link.trade();
    ASSERT_EQ(link.client.send(id, bytes("r2")), 2u);
    link.trade();
    events = link.server_take();
    ASSERT_EQ(events_of<StreamEndToEnd>(events).size(), 1u);
    EXPECT_EQ(events_of<StreamEndToEnd>(events)[0].stream, id);
    EXPECT_TRUE(std::holds_alternative<StreamEndToEnd>(events[0]));
    EXPECT_EQ(data_for(events, id), "r1r2");
}

TEST(MuxEndToEnd, MarkingAnUnknownStreamDoesNothing) {
    Link link;
    link.establish();
    link.client.mark_end_to_end(99);
    EXPECT_TRUE(data_frames(link.client).empty());
}

TEST(MuxEndToEnd, PartialFrameBytesAreHeldUntilTheFrameIsWholeAndCanBeDropped) {
    Hostile h;
    const Bytes open = open_frame(1, 4096, "lab/ssh");
    ASSERT_FALSE(h.feed(open));
    drain_events(h.mux);
    h.mux.accept(1);
    const Bytes data = data_frame(1, "abcdef");
    ASSERT_FALSE(h.mux.receive(std::span<const std::uint8_t>(data).first(13)));
    EXPECT_EQ(h.mux.partial_frame_bytes(), 13u);
    EXPECT_FALSE(has_event<StreamData>(drain_events(h.mux)));
    h.mux.drop_partial_frame();
    EXPECT_EQ(h.mux.partial_frame_bytes(), 0u);
    ASSERT_FALSE(h.feed(data));  // the whole frame again, as a new transport replays it
    EXPECT_EQ(h.mux.partial_frame_bytes(), 0u);
    EXPECT_EQ(data_for(drain_events(h.mux), 1), "abcdef");
}

// A peer of version 1 (as Hostile's HELLO says) knows no E2E flag.
TEST(MuxEndToEnd, OnAVersionOneSessionNothingIsFlagged) {
    Hostile h;
    ASSERT_EQ(h.mux.version(), 1);
    ASSERT_FALSE(h.feed(open_frame(1, 4096, "lab/ssh")));
    drain_events(h.mux);
    h.mux.accept(1);
    h.mux.mark_end_to_end(1);
    ASSERT_EQ(h.mux.send(1, filled(100)), 100u);
    const auto frames = data_frames(h.mux);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].header.flags, 0);
}

TEST(MuxEndToEnd, TheFlagFromAPeerOfVersionOneIsMalformed) {
    Hostile h;
    ASSERT_FALSE(h.feed(open_frame(1, 4096, "lab/ssh")));
    drain_events(h.mux);
    h.mux.accept(1);
    expect_fatal(h.mux, h.feed(frame(FrameType::data, kFlagE2e, 1, bytes("x"))), Errc::malformed_frame);
}

TEST(MuxEndToEnd, TwoSidesOfThisVersionSettleOnTwo) {
    Link link;
    link.establish();
    EXPECT_EQ(link.client.version(), 2);
    EXPECT_EQ(link.server.version(), 2);
}

}  // namespace
}  // namespace burrow::proto
