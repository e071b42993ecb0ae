#include "proto/output_scheduler.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace burrow::proto {
namespace {

// The frames in `bytes`, as (type, stream id) pairs.
std::vector<std::pair<FrameType, StreamId>> frames_in(std::span<const std::uint8_t> bytes) {
    std::vector<std::pair<FrameType, StreamId>> out;
    while (bytes.size() >= FrameHeader::kSize) {
        FrameHeader h;
        EXPECT_FALSE(FrameHeader::decode(bytes.first<FrameHeader::kSize>(), FrameHeader::kMaxPayload, h));
        out.emplace_back(h.type, h.stream);
        bytes = bytes.subspan(FrameHeader::kSize + h.length);
    }
    EXPECT_TRUE(bytes.empty());
    return out;
}

// A turn of `id` writes one DATA frame of `size` bytes while the stream has turns left.
struct Streams {
    OutputScheduler* scheduler;
    std::map<StreamId, int> turns_left;
    std::size_t size = 100;
    void operator()(StreamId id, std::vector<std::uint8_t>& out) {
        if (turns_left[id] == 0) return;
        const std::vector<std::uint8_t> payload(size, 0x61);
        append_frame(out, FrameType::data, 0, id, payload);
        if (--turns_left[id] > 0) scheduler->schedule(id);
    }
};

TEST(OutputScheduler, ControlFramesGoAheadOfData) {
    OutputScheduler s;
    Streams streams{&s, {{1, 1}}};
    s.schedule(1);
    const std::vector<std::uint8_t> ping(8, 0);
    s.queue_frame(FrameType::ping, 0, 0, ping);
    const auto out = frames_in(s.pending(64 * 1024, streams));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].first, FrameType::ping);
    EXPECT_EQ(out[1], std::make_pair(FrameType::data, StreamId{1}));
}

TEST(OutputScheduler, StreamsTakeTurnsRoundRobin) {
    OutputScheduler s;
    Streams streams{&s, {{1, 3}, {3, 1}, {5, 2}}};
    for (StreamId id : {1u, 3u, 5u}) s.schedule(id);
    const auto bytes = s.pending(64 * 1024, streams);
    std::vector<StreamId> order;
    for (const auto& f : frames_in(bytes)) order.push_back(f.second);
    EXPECT_EQ(order, (std::vector<StreamId>{1, 3, 5, 1, 5, 1}));
    s.consume(bytes.size());
    EXPECT_FALSE(s.has_output());
}

TEST(OutputScheduler, HandsOutAboutAChunkAndKeepsItStableUntilConsumed) {
    OutputScheduler s;
    Streams streams{&s, {{1, 100}}};
    s.schedule(1);
    const auto first = s.pending(1000, streams);
    const std::size_t frame = FrameHeader::kSize + streams.size;
    EXPECT_EQ(first.size(), (1000 / frame + 1) * frame);  // turns until it reaches the chunk
    const std::vector<std::uint8_t> ping(8, 0);
    s.queue_frame(FrameType::ping, 0, 0, ping);
    s.consume(10);
    const auto rest = s.pending(1000, streams);
    EXPECT_EQ(rest.size(), first.size() - 10);  // the ping waits behind what was handed out
    EXPECT_EQ(s.buffered(), rest.size() + FrameHeader::kSize + ping.size());
    s.consume(rest.size());
    const auto next = frames_in(s.pending(1000, streams));
    ASSERT_FALSE(next.empty());
    EXPECT_EQ(next[0].first, FrameType::ping);
}

TEST(OutputScheduler, TakeAllHandsOverWhatWasPendingAndStartsAfresh) {
    OutputScheduler s;
    Streams streams{&s, {{1, 3}}};
    s.schedule(1);
    const auto pending = s.pending(1 << 20, streams);
    const std::vector<std::uint8_t> expected(pending.begin(), pending.end());
    EXPECT_EQ(s.take_all(), expected);
    EXPECT_FALSE(s.has_output());
    EXPECT_EQ(s.buffered(), 0u);
    streams.turns_left[1] = 2;
    s.schedule(1);
    EXPECT_EQ(frames_in(s.pending(1 << 20, streams)).size(), 2u);  // the turns go into a fresh buffer
}

TEST(OutputScheduler, TakeAllAfterAPartialConsumeHandsOverTheRest) {
    OutputScheduler s;
    Streams streams{&s, {{1, 2}}};
    s.schedule(1);
    const auto pending = s.pending(1 << 20, streams);
    const std::vector<std::uint8_t> rest(pending.begin() + 7, pending.end());
    s.consume(7);
    EXPECT_EQ(s.take_all(), rest);
    EXPECT_FALSE(s.has_output());
}

TEST(OutputScheduler, NoDataTurnsWithAZeroChunk) {
    OutputScheduler s;
    Streams streams{&s, {{1, 1}}};
    s.schedule(1);
    const std::vector<std::uint8_t> goaway(2, 0);
    s.queue_frame(FrameType::goaway, 0, 0, goaway);
    const auto out = frames_in(s.pending(0, streams));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].first, FrameType::goaway);
    EXPECT_EQ(s.control_backlog(), 0u);
}

}  // namespace
}  // namespace burrow::proto
