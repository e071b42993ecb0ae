#include "proto/mux.hpp"

#include <gtest/gtest.h>

#include "tests/unit/proto/mux_harness.hpp"

namespace burrow::proto {
namespace {

using namespace test;

std::vector<ParsedFrame> windows_for(const std::vector<ParsedFrame>& frames, StreamId id) {
    std::vector<ParsedFrame> out;
    for (const auto& f : of_type(frames, FrameType::window))
        if (f.header.stream == id) out.push_back(f);
    return out;
}

TEST(MuxSendBuffer, AWholeBufferThatFitsIsTakenOverAndArrivesInOrder) {
    Link link;
    link.establish();
    const StreamId id = link.open_accepted();
    Bytes big = filled(20000, 3);
    const Bytes expected = concat({bytes("ab"), big, bytes("cd")});
    ASSERT_EQ(link.client.send(id, std::span<const std::uint8_t>(bytes("ab"))), 2u);
    EXPECT_EQ(link.client.send(id, std::move(big)), 20000u);
    EXPECT_TRUE(big.empty());  // taken over
    Bytes small = bytes("cd");
    EXPECT_EQ(link.client.send(id, std::move(small)), 2u);
    link.trade();
    EXPECT_EQ(data_for(link.server_take(), id), text(expected));
}

TEST(MuxSendBuffer, ABufferBeyondTheCreditIsCopiedInPartAndLeftToTheCaller) {
    Link link({.stream_window = 4}, {.stream_window = 4});
    link.establish();
    const StreamId id = link.open_accepted();
    Bytes six = bytes("abcdef");
    EXPECT_EQ(link.client.send(id, std::move(six)), 4u);
    EXPECT_EQ(text(six), "abcdef");  // untouched: the caller still holds "ef"
    link.trade();
    EXPECT_EQ(data_for(link.server_take(), id), "abcd");
}

TEST(MuxCredit, SenderStopsAtCredit) {
    Link link({.stream_window = 4}, {.stream_window = 4});
    link.establish();
    const StreamId id = link.open_accepted();
    EXPECT_EQ(link.client.send_capacity(id), 4u);
    EXPECT_EQ(link.client.send(id, bytes("abcdef")), 4u);
    EXPECT_EQ(link.client.send(id, bytes("ef")), 0u);
    EXPECT_EQ(link.client.send_capacity(id), 0u);
}

TEST(MuxCredit, GrantReturnsCreditAndWakesTheSender) {
    Link link({.stream_window = 4}, {.stream_window = 4});
    link.establish();
    const StreamId id = link.open_accepted();
    ASSERT_EQ(link.client.send(id, bytes("abcdef")), 4u);
    link.trade();
    EXPECT_EQ(data_for(link.server_take(), id), "abcd");
    EXPECT_FALSE(has_event<StreamWritable>(link.client_take()));
    link.server.grant(id, 4, {});
    link.trade();
    const auto writable = events_of<StreamWritable>(link.client_take());
    ASSERT_EQ(writable.size(), 1u);
    EXPECT_EQ(writable[0].stream, id);
    EXPECT_EQ(link.client.send(id, bytes("ef")), 2u);
    link.trade();
    EXPECT_EQ(data_for(link.server_take(), id), "ef");
}

TEST(MuxCredit, NoCreditComesBackWithoutGrant) {
    Link link({.stream_window = 4096}, {.stream_window = 4096});
    link.establish();
    const StreamId id = link.open_accepted();
    ASSERT_EQ(link.client.send(id, filled(4096)), 4096u);
    link.trade();
    EXPECT_EQ(link.client.send_capacity(id), 0u);
    EXPECT_FALSE(has_event<StreamWritable>(link.client_take()));
}

TEST(MuxCredit, SendBeforeAcceptTakesNothingAndAcceptWakesTheSender) {
    Link link;
    link.establish();
    const StreamId id = link.client.open("lab/ssh");
    EXPECT_EQ(link.client.send(id, bytes("early")), 0u);
    link.trade();
    link.server.accept(id);
    link.trade();
    const auto events = link.client_take();
    EXPECT_TRUE(has_event<StreamAccepted>(events));
    EXPECT_TRUE(has_event<StreamWritable>(events));
    EXPECT_EQ(link.client.send(id, bytes("early")), 5u);
}

TEST(MuxCredit, WantWritableAsksForAnEventWhenCreditReturns) {
    Link link({.stream_window = 4}, {.stream_window = 4});
    link.establish();
    const StreamId id = link.open_accepted();
    ASSERT_EQ(link.client.send(id, bytes("abcd")), 4u);
    link.client.want_writable(id);
    link.trade();
    link.server.grant(id, 4, {});
    link.trade();
    EXPECT_TRUE(has_event<StreamWritable>(link.client_take()));
}

TEST(MuxCredit, ExactFillWithoutWantWritableGivesNoEvent) {
    Link link({.stream_window = 4}, {.stream_window = 4});
    link.establish();
    const StreamId id = link.open_accepted();
    ASSERT_EQ(link.client.send(id, bytes("abcd")), 4u);
    link.trade();
    link.server.grant(id, 4, {});
    link.trade();
    EXPECT_FALSE(has_event<StreamWritable>(link.client_take()));
    EXPECT_EQ(link.client.send_capacity(id), 4u);
}

TEST(MuxCredit, SessionWindowLimitsAllStreamsTogether) {
    Link link({}, {.session_window = 4096});
    link.establish();
    const StreamId a = link.open_accepted("lab/a");
    const StreamId b = link.open_accepted("lab/b");
    EXPECT_EQ(link.client.send(a, filled(3000)), 3000u);
    EXPECT_EQ(link.client.send(b, filled(3000)), 1096u);
    EXPECT_EQ(link.client.send_capacity(a), 0u);
    EXPECT_EQ(link.client.send_capacity(b), 0u);
    link.trade();
    const auto got = link.server_take();
    EXPECT_EQ(data_for(got, a).size(), 3000u);
    EXPECT_EQ(data_for(got, b).size(), 1096u);
    link.server.grant(a, 3000, {});
    link.server.grant(b, 1096, {});
    link.trade();
    const auto writable = events_of<StreamWritable>(link.client_take());
    ASSERT_EQ(writable.size(), 1u);
    EXPECT_EQ(writable[0].stream, b);
    EXPECT_EQ(link.client.send_capacity(b), 4096u);
}

TEST(MuxCredit, StreamWindowFramesAreBatchedToAQuarter) {
    Hostile side = with_accepted_stream({.stream_window = 4096});
    ASSERT_FALSE(side.feed(data_frame(1, filled(1023))));
    side.mux.grant(1, 1023, {});
    EXPECT_TRUE(windows_for(take_output(side.mux), 1).empty());
    ASSERT_FALSE(side.feed(data_frame(1, filled(1))));
    side.mux.grant(1, 1, {});
    const auto windows = windows_for(take_output(side.mux), 1);
    ASSERT_EQ(windows.size(), 1u);
    EXPECT_EQ(windows[0].u32(), 1024u);
}

TEST(MuxCredit, SessionWindowFramesAreBatchedToAQuarter) {
    Hostile side = with_accepted_stream({.session_window = 8192});
    ASSERT_FALSE(side.feed(data_frame(1, filled(2047))));
    side.mux.grant(1, 2047, {});
    EXPECT_TRUE(windows_for(take_output(side.mux), 0).empty());
    ASSERT_FALSE(side.feed(data_frame(1, filled(1))));
    side.mux.grant(1, 1, {});
    const auto windows = windows_for(take_output(side.mux), 0);
    ASSERT_EQ(windows.size(), 1u);
    EXPECT_EQ(windows[0].u32(), 2048u);
}

TEST(MuxCredit, GrantCannotReturnMoreThanWasReceived) {
    Hostile side = with_accepted_stream({.stream_window = 4096});
    side.mux.grant(1, 1 << 20, {});
    EXPECT_TRUE(of_type(take_output(side.mux), FrameType::window).empty());
    ASSERT_FALSE(side.feed(data_frame(1, filled(4096))));
    ASSERT_FALSE(side.feed(data_frame(1, filled(1))));
    const auto resets = events_of<StreamReset>(drain_events(side.mux));
    ASSERT_EQ(resets.size(), 1u);
    EXPECT_EQ(resets[0].code, Errc::flow_control);
}

TEST(MuxCredit, GrantedStreamAcceptsMoreData) {
    Hostile side = with_accepted_stream({.stream_window = 4096});
    ASSERT_FALSE(side.feed(data_frame(1, filled(4096))));
    side.mux.grant(1, 4096, {});
    ASSERT_FALSE(side.feed(data_frame(1, filled(4096))));
    const auto events = drain_events(side.mux);
    EXPECT_FALSE(has_event<StreamReset>(events));
    EXPECT_EQ(data_for(events, 1).size(), 8192u);
}

std::uint64_t window_total(const std::vector<ParsedFrame>& frames, StreamId id) {
    std::uint64_t total = 0;
    for (const auto& w : windows_for(frames, id)) total += w.u32();
    return total;
}

// Hands the server's output to the client and returns it, parsed.
std::vector<ParsedFrame> server_output(Link& link) {
    const auto out = take_output_bytes(link.server);
    EXPECT_FALSE(link.client.receive(out));
    return parse_frames(out);
}

// The server receives `n` bytes on `id` and consumes them 16 KiB per millisecond from `start`.
Clock::time_point consume(Link& link, StreamId id, std::size_t n, Clock::time_point start) {
    EXPECT_EQ(link.client.send(id, filled(n)), n);
    link.trade();
    EXPECT_EQ(data_for(link.server_take(), id).size(), n);
    auto now = start;
    for (std::size_t done = 0; done < n; done += 16 * 1024) {
        now += std::chrono::milliseconds(1);
        link.server.grant(id, std::min<std::size_t>(16 * 1024, n - done), now);
    }
    return now;
}

// A session whose server side knows a round trip of `rtt`, with a bulk
// stream and, when `shared`, a second one beside it.
struct TunedLink {
    explicit TunedLink(bool shared, std::chrono::microseconds rtt = std::chrono::microseconds(100))
        : link({}, {.stream_window = 1 << 20, .shared_stream_window = 64 << 10, .max_stream_window = 16 << 20}) {
        link.establish();
        link.server.set_min_rtt(rtt);
        bulk = link.open_accepted("lab/bulk");
        if (shared) shell = link.open_accepted("lab/ssh");
    }
    Link link;
    StreamId bulk = 0;
    StreamId shell = 0;
    Clock::time_point now = Clock::time_point{} + std::chrono::seconds(1);
};

TEST(MuxCredit, AStreamAloneGetsItsFullWindowBack) {
    TunedLink t(false);
    consume(t.link, t.bulk, 1 << 20, t.now);
    EXPECT_EQ(t.link.server.receive_window(t.bulk), 1u << 20);
    EXPECT_EQ(window_total(server_output(t.link), t.bulk), 1u << 20);
}

TEST(MuxCredit, AStreamSharingTheSessionIsHeldToTheSharedWindow) {
    // 16 KB per ms over a 100 µs round trip is 1.6 KB per round trip: the 64 KiB floor.
    TunedLink t(true);
    t.now = consume(t.link, t.bulk, 1 << 20, t.now);
    EXPECT_EQ(t.link.server.receive_window(t.bulk), 64u << 10);
    const auto given = window_total(server_output(t.link), t.bulk);
    EXPECT_LE(given, 64u << 10);
    EXPECT_GE(given, 48u << 10);
    EXPECT_EQ(t.link.client.send_capacity(t.bulk), given);
    // Steady state: what the client may have outstanding stays within the shared window.
    t.now = consume(t.link, t.bulk, given, t.now);
    EXPECT_LE(window_total(server_output(t.link), t.bulk), 64u << 10);
    // The other stream closes: the bulk stream has the session to itself and gets the full window again.
    t.link.client.reset(t.shell, Errc::cancelled, "done");
    t.link.trade();
    t.link.server_take();
    EXPECT_EQ(t.link.server.receive_window(t.bulk), 1u << 20);
}

TEST(MuxCredit, BusyStreamsAloneTogetherKeepFullWindowsUntilAQuietOneJoins) {
    // 16 KB per ms over a 1 ms round trip: 64 KB per four round trips, busy.
    TunedLink t(false, std::chrono::milliseconds(1));
    const StreamId other = t.link.open_accepted("lab/bulk2");
    t.now = consume(t.link, t.bulk, 1 << 20, t.now);
    t.now = consume(t.link, other, 1 << 20, t.now);
    server_output(t.link);
    EXPECT_EQ(t.link.server.receive_window(t.bulk), 1u << 20);  // only busy streams: nobody to hold back for
    EXPECT_EQ(t.link.server.receive_window(other), 1u << 20);
    const StreamId shell = t.link.open_accepted("lab/ssh");  // quiet
    EXPECT_EQ(t.link.server.receive_window(t.bulk), 64u << 10);
    EXPECT_EQ(t.link.server.receive_window(other), 64u << 10);
    t.link.client.reset(shell, Errc::cancelled, "done");
    t.link.trade();
    EXPECT_EQ(t.link.server.receive_window(t.bulk), 1u << 20);
}

TEST(MuxCredit, AWindowThatGrowsBackIsNotLeftWaitingForAQuarter) {
    // Held to 64 KiB while shared, the stream's outstanding credit is below a
    // quarter of its full window when the other stream goes; its grants must
    // still go out once the peer runs low, or both sides wait for each other.
    TunedLink t(true);
    t.now = consume(t.link, t.bulk, 1 << 20, t.now);
    server_output(t.link);
    t.link.client.reset(t.shell, Errc::cancelled, "done");
    t.link.trade();
    std::size_t credit = 0;
    for (int round = 0; round < 40 && credit < (1u << 20); ++round) {
        credit = t.link.client.send_capacity(t.bulk);
        ASSERT_GT(credit, 0u) << "round " << round;
        t.now = consume(t.link, t.bulk, credit, t.now);
        server_output(t.link);
    }
    EXPECT_EQ(t.link.client.send_capacity(t.bulk), 1u << 20);
}

TEST(MuxCredit, OnALongPathTheWindowGrowsBeyondStreamWindow) {
    // 16 KB per ms over a 100 ms round trip is 1.6 MB per round trip: four of
    // them is above the 1 MiB stream window, so the peer gets more credit.
    TunedLink t(false, std::chrono::milliseconds(100));
    for (int round = 0; round < 8; ++round) {
        const std::size_t credit = t.link.client.send_capacity(t.bulk);
        ASSERT_GT(credit, 0u);
        t.now = consume(t.link, t.bulk, credit, t.now);
        server_output(t.link);
    }
    EXPECT_GT(t.link.server.receive_window(t.bulk), 6u << 20);
    EXPECT_GT(t.link.client.send_capacity(t.bulk), 4u << 20);
    EXPECT_LE(t.link.client.send_capacity(t.bulk), 16u << 20);
}

TEST(MuxCredit, ASharedStreamAlwaysKeepsRoomForAFrame) {
    // A floor of 0 would let the window of a stream beside a quiet one fall to nothing.
    Link link({}, {.stream_window = 1 << 20, .shared_stream_window = 0, .max_frame_payload = 16384});
    link.establish();
    link.server.set_min_rtt(std::chrono::milliseconds(1));
    const StreamId slow = link.open_accepted("lab/slow");
    link.open_accepted("lab/ssh");
    auto now = Clock::time_point{} + std::chrono::seconds(1);
    for (int round = 0; round < 8; ++round) {  // one byte every 100 ms: a rate of almost nothing
        ASSERT_EQ(link.client.send(slow, filled(1)), 1u);
        link.trade();
        link.server_take();
        now += std::chrono::milliseconds(100);
        link.server.grant(slow, 1, now);
        server_output(link);
    }
    EXPECT_GE(link.server.receive_window(slow), 16384u);
    EXPECT_GT(link.client.send_capacity(slow), 0u);
}

TEST(MuxOutput, ControlFramesGoBeforeQueuedData) {
    Link link;
    link.establish();
    const StreamId id = link.open_accepted();
    link.client.send(id, bytes("payload"));
    link.client.ping(7);
    const auto frames = take_output(link.client);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].header.type, FrameType::ping);
    EXPECT_EQ(frames[1].header.type, FrameType::data);
}

TEST(MuxOutput, SmallStreamBytesAppearInTheFirstOutputChunk) {
    Link link;
    link.establish();
    const StreamId bulk = link.open_accepted("lab/scp");
    const StreamId small = link.open_accepted("lab/ssh");
    ASSERT_EQ(link.client.send(bulk, filled(512 * 1024)), 512u * 1024);
    ASSERT_EQ(link.client.send(small, bytes("ls\n")), 3u);
    const auto first = parse_frames(link.client.pending_output());
    bool small_seen = false;
    for (const auto& f : of_type(first, FrameType::data))
        if (f.header.stream == small && text(f.payload) == "ls\n") small_seen = true;
    EXPECT_TRUE(small_seen);
}

TEST(MuxOutput, EachTurnGivesAStreamAtMostWriteQuantum) {
    Link link({.write_quantum = 1024}, {});
    link.establish();
    const StreamId a = link.open_accepted("lab/a");
    const StreamId b = link.open_accepted("lab/b");
    link.client.send(a, filled(4096));
    link.client.send(b, filled(4096));
    const auto data = of_type(take_output(link.client), FrameType::data);
    ASSERT_EQ(data.size(), 8u);
    for (std::size_t i = 0; i < data.size(); ++i) {
        EXPECT_EQ(data[i].header.stream, i % 2 == 0 ? a : b) << i;
        EXPECT_EQ(data[i].payload.size(), 1024u) << i;
    }
}

TEST(MuxOutput, DataFramesFitThePeersMaxFramePayload) {
    Link link({.write_quantum = 64 * 1024}, {.max_frame_payload = 1024});
    link.establish();
    const StreamId id = link.open_accepted();
    ASSERT_EQ(link.client.send(id, filled(10000)), 10000u);
    const Bytes out = take_output_bytes(link.client);
    for (const auto& f : parse_frames(out)) EXPECT_LE(f.payload.size(), 1024u);
    EXPECT_FALSE(link.server.receive(out));
    EXPECT_EQ(data_for(drain_events(link.server), id).size(), 10000u);
}

TEST(MuxOutput, PendingOutputIsStableUntilConsumed) {
    Link link;
    link.establish();
    link.client.ping(1);
    const auto first = link.client.pending_output();
    const Bytes copy(first.begin(), first.end());
    link.client.ping(2);
    link.client.send_control(ListRequest{});
    const auto again = link.client.pending_output();
    EXPECT_EQ(Bytes(again.begin(), again.end()), copy);
    link.client.consume_output(3);
    const auto rest = link.client.pending_output();
    EXPECT_EQ(Bytes(rest.begin(), rest.end()), Bytes(copy.begin() + 3, copy.end()));
    link.client.consume_output(rest.size());
    const auto later = parse_frames(take_output_bytes(link.client));
    ASSERT_EQ(later.size(), 2u);
    EXPECT_EQ(later[0].header.type, FrameType::ping);
    EXPECT_EQ(later[1].header.type, FrameType::control);
}

TEST(MuxOutput, ChunksStayNearOutputChunk) {
    Link link({.write_quantum = 1024, .output_chunk = 4096}, {});
    link.establish();
    for (const char* t : {"lab/a", "lab/b", "lab/c"}) link.client.send(link.open_accepted(t), filled(10000));
    for (auto out = link.client.pending_output(); !out.empty(); out = link.client.pending_output()) {
        EXPECT_LE(out.size(), 4096u + 1024 + FrameHeader::kSize);
        link.client.consume_output(out.size());
    }
}

TEST(MuxOutput, HasOutputTracksPendingBytes) {
    Mux m(Role::initiator);
    EXPECT_TRUE(m.has_output());
    take_output(m);
    EXPECT_FALSE(m.has_output());
    m.ping(1);
    EXPECT_TRUE(m.has_output());
}

TEST(MuxGoaway, PeerGoawayStopsOpensButExistingStreamsGoOn) {
    Link link;
    link.establish();
    const StreamId id = link.open_accepted();
    link.server.goaway(Errc::going_away, "maintenance");
    link.trade();
    const auto goaways = events_of<GoAwayReceived>(link.client_take());
    ASSERT_EQ(goaways.size(), 1u);
    EXPECT_EQ(goaways[0].code, Errc::going_away);
    EXPECT_EQ(goaways[0].reason, "maintenance");
    EXPECT_TRUE(link.client.peer_going_away());
    EXPECT_EQ(link.client.open("lab/other"), 0u);
    link.client.send(id, bytes("up"));
    link.server.send(id, bytes("down"));
    link.trade();
    EXPECT_EQ(data_for(link.server_take(), id), "up");
    EXPECT_EQ(data_for(link.client_take(), id), "down");
}

TEST(MuxGoaway, ADrainIsFollowedByTheFinalGoawayOnlyOnce) {
    Link link;
    link.establish();
    link.server.goaway(Errc::going_away, "draining");
    link.server.goaway(Errc::going_away, "draining again");  // said once
    link.server.goaway(Errc::cancelled, "stopped");          // the end, after the drain
    link.server.goaway(Errc::cancelled, "stopped again");
    link.server.goaway(Errc::going_away, "too late");
    link.trade();
    const auto goaways = events_of<GoAwayReceived>(link.client_take());
    ASSERT_EQ(goaways.size(), 2u);
    EXPECT_EQ(goaways[0].code, Errc::going_away);
    EXPECT_EQ(goaways[1].code, Errc::cancelled);
    EXPECT_EQ(goaways[1].reason, "stopped");
}

TEST(MuxGoaway, LocalGoawayStopsOpens) {
    Link link;
    link.establish();
    link.client.goaway(Errc::going_away, "bye");
    EXPECT_EQ(link.client.open("lab/ssh"), 0u);
}

TEST(MuxGoaway, OpenCrossingGoawayIsRejectedGoingAway) {
    Link link;
    link.establish();
    link.server.goaway(Errc::going_away, "draining");
    const StreamId id = link.client.open("lab/ssh");
    ASSERT_NE(id, 0u);
    link.trade();
    EXPECT_FALSE(has_event<StreamOpened>(link.server_take()));
    const auto rejected = events_of<StreamRejected>(link.client_take());
    ASSERT_EQ(rejected.size(), 1u);
    EXPECT_EQ(rejected[0].stream, id);
    EXPECT_EQ(rejected[0].code, Errc::going_away);
    EXPECT_FALSE(link.client.stream_exists(id));
}

TEST(MuxStreamLimit, TooManyStreamsRejectsOnlyTheExtraStream) {
    Link link({}, {.max_streams = 2});
    link.establish();
    const StreamId a = link.client.open("lab/a");
    const StreamId b = link.client.open("lab/b");
    const StreamId c = link.client.open("lab/c");
    link.trade();
    EXPECT_EQ(events_of<StreamOpened>(link.server_take()).size(), 2u);
    const auto rejected = events_of<StreamRejected>(link.client_take());
    ASSERT_EQ(rejected.size(), 1u);
    EXPECT_EQ(rejected[0].stream, c);
    EXPECT_EQ(rejected[0].code, Errc::too_many_streams);
    EXPECT_TRUE(link.client.stream_exists(a));
    EXPECT_TRUE(link.client.stream_exists(b));
    link.client.reset(a, Errc::cancelled, "");
    link.trade();
    const StreamId d = link.client.open("lab/d");
    link.trade();
    EXPECT_EQ(events_of<StreamOpened>(link.server_take()).size(), 1u);
    EXPECT_FALSE(has_event<StreamRejected>(link.client_take()));
    EXPECT_TRUE(link.server.stream_exists(d));
}

}  // namespace
}  // namespace burrow::proto
