#include "proto/mux.hpp"

#include <gtest/gtest.h>

#include <tuple>

#include "tests/unit/proto/mux_harness.hpp"

namespace burrow::proto {
namespace {

using namespace test;

// ---- HELLO -------------------------------------------------------------------------

TEST(MuxHello, FirstFrameOtherThanHelloIsFatal) {
    for (const Bytes& first : {ping_frame(1), open_frame(1, 4096, "lab/ssh"), control_frame(ListRequest{}),
                               window_frame(0, 1), coded_frame(FrameType::goaway, 0, Errc::going_away, "")}) {
        Mux m = fresh_acceptor();
        expect_fatal(m, m.receive(first), Errc::protocol_error);
        EXPECT_FALSE(m.ready());
    }
}

TEST(MuxHello, SecondHelloIsFatal) {
    Hostile h;
    expect_fatal(h.mux, h.feed(hello_frame()), Errc::protocol_error);
}

TEST(MuxHello, PeerHelloMakesTheMuxReady) {
    Mux m = fresh_acceptor();
    EXPECT_FALSE(m.ready());
    ASSERT_FALSE(m.receive(hello_frame()));
    EXPECT_TRUE(m.ready());
    const auto events = drain_events(m);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<Ready>(events[0]));
}

TEST(MuxHello, VersionRangeWithoutOneOrTwoIsUnsupported) {
    for (auto [lo, hi] : {std::pair{3, 4}, std::pair{0, 0}, std::pair{2, 1}, std::pair{0xffff, 0xffff}}) {
        Mux m = fresh_acceptor();
        HelloFields f;
        f.min_version = static_cast<std::uint16_t>(lo);
        f.max_version = static_cast<std::uint16_t>(hi);
        expect_fatal(m, m.receive(hello_frame(f)), Errc::unsupported_version);
    }
}

TEST(MuxHello, TheHighestVersionBothSpeakIsUsed) {
    for (auto [lo, hi, used] : {std::tuple{0, 9, 2}, std::tuple{1, 1, 1}, std::tuple{0, 1, 1}, std::tuple{2, 3, 2},
                                std::tuple{1, 2, 2}}) {
        Mux m = fresh_acceptor();
        HelloFields f;
        f.min_version = static_cast<std::uint16_t>(lo);
        f.max_version = static_cast<std::uint16_t>(hi);
        EXPECT_FALSE(m.receive(hello_frame(f))) << lo << ".." << hi;
        EXPECT_TRUE(m.ready());
        EXPECT_EQ(m.version(), used) << lo << ".." << hi;
    }
}

TEST(MuxHello, ThisSideOffersVersionsOneToTwo) {
    Mux m(Role::acceptor);
    const auto hellos = of_type(take_output(m), FrameType::hello);
    ASSERT_EQ(hellos.size(), 1u);
    ASSERT_GE(hellos[0].payload.size(), 4u);
    EXPECT_EQ(load_be16(hellos[0].payload.data()), 1);
    EXPECT_EQ(load_be16(hellos[0].payload.data() + 2), 2);
}

TEST(MuxHello, ShortHelloIsMalformed) {
    Mux m = fresh_acceptor();
    Bytes payload = hello_payload();
    payload.pop_back();
    expect_fatal(m, m.receive(payload_frame(FrameType::hello, 0, payload)), Errc::malformed_frame);
}

TEST(MuxHello, ExtraHelloBytesAreIgnored) {
    Mux m = fresh_acceptor();
    Bytes payload = hello_payload();
    payload.insert(payload.end(), {1, 2, 3, 4, 5});
    EXPECT_FALSE(m.receive(payload_frame(FrameType::hello, 0, payload)));
    EXPECT_TRUE(m.ready());
}

TEST(MuxHello, MaxFramePayloadOutsideRangeIsMalformed) {
    for (std::uint32_t bad : {0u, 1023u, 65537u, 0xffffffffu}) {
        Mux m = fresh_acceptor();
        expect_fatal(m, m.receive(hello_frame({.max_frame_payload = bad})), Errc::malformed_frame);
    }
    for (std::uint32_t good : {1024u, 65536u}) {
        Mux m = fresh_acceptor();
        EXPECT_FALSE(m.receive(hello_frame({.max_frame_payload = good}))) << good;
    }
}

TEST(MuxHello, SessionWindowAboveTwoToThe31IsMalformed) {
    Mux m = fresh_acceptor();
    expect_fatal(m, m.receive(hello_frame({.session_window = 0x80000000u})), Errc::malformed_frame);
    Mux ok = fresh_acceptor();
    EXPECT_FALSE(ok.receive(hello_frame({.session_window = 0x7fffffffu})));
}

// ---- OPEN payloads -----------------------------------------------------------------------

TEST(MuxHostile, OpenWithABadTargetIsRejectedBadTarget) {
    for (const std::string& target : std::vector<std::string>{"", "lab/s sh", "lab/\x7f", "lab/\x01", "caf\xc3\xa9/x",
                                                              std::string(256, 'a')}) {
        SCOPED_TRACE(target);
        Hostile h;
        ASSERT_FALSE(h.feed(open_frame(1, 4096, target)));
        EXPECT_FALSE(has_event<StreamOpened>(drain_events(h.mux)));
        const auto rejects = frames_on(take_output(h.mux), FrameType::reject, 1);
        ASSERT_EQ(rejects.size(), 1u);
        EXPECT_EQ(rejects[0].code(), static_cast<std::uint16_t>(Errc::bad_target));
        EXPECT_FALSE(h.mux.stream_exists(1));
        EXPECT_FALSE(h.feed(open_frame(3, 4096, "lab/ssh")));
    }
}

TEST(MuxHostile, OpenWithA255ByteTargetIsAccepted) {
    Hostile h;
    ASSERT_FALSE(h.feed(open_frame(1, 4096, std::string(255, 't'))));
    const auto opened = events_of<StreamOpened>(drain_events(h.mux));
    ASSERT_EQ(opened.size(), 1u);
    EXPECT_EQ(opened[0].target.size(), 255u);
}

TEST(MuxHostile, OpenTargetMayUseEveryPrintableAsciiByte) {
    std::string target;
    for (char c = 0x21; c <= 0x7e; ++c) target += c;
    Hostile h;
    ASSERT_FALSE(h.feed(open_frame(1, 4096, target)));
    const auto opened = events_of<StreamOpened>(drain_events(h.mux));
    ASSERT_EQ(opened.size(), 1u);
    EXPECT_EQ(opened[0].target, target);
}

TEST(MuxHostile, OpenWithWindowAboveTwoToThe31IsMalformed) {
    Hostile h;
    expect_fatal(h.mux, h.feed(open_frame(1, 0x80000000u, "lab/a")), Errc::malformed_frame);
}

TEST(MuxHostile, ShortOpenIsMalformed) {
    for (const Bytes& payload : {Bytes{}, Bytes{0, 0, 16}, Bytes{0, 0, 16, 0}}) {
        Hostile h;
        expect_fatal(h.mux, h.feed(payload_frame(FrameType::open, 1, payload)), Errc::malformed_frame);
    }
}

TEST(MuxHostile, OpenKeyLengthOtherThanZeroOr32IsMalformed) {
    for (std::uint8_t key_len : {1, 16, 31, 33, 64, 255}) {
        SCOPED_TRACE(int(key_len));
        Bytes payload{0, 0, 16, 0, key_len};
        payload.resize(payload.size() + key_len, 0x41);
        const Bytes target = bytes("lab/ssh");
        payload.insert(payload.end(), target.begin(), target.end());
        Hostile h;
        expect_fatal(h.mux, h.feed(payload_frame(FrameType::open, 1, payload)), Errc::malformed_frame);
    }
}

TEST(MuxHostile, OpenWithTruncatedKeyIsMalformed) {
    Hostile h;
    expect_fatal(h.mux, h.feed(payload_frame(FrameType::open, 1, {0, 0, 16, 0, 32, 1, 2, 3})), Errc::malformed_frame);
}

TEST(MuxHostile, OpenCarriesTheKey) {
    Hostile h;
    ASSERT_FALSE(h.feed(open_frame(1, 4096, "lab/ssh", sample_key(3))));
    const auto opened = events_of<StreamOpened>(drain_events(h.mux));
    ASSERT_EQ(opened.size(), 1u);
    EXPECT_EQ(opened[0].opener_key, sample_key(3));
    EXPECT_EQ(opened[0].target, "lab/ssh");
}

TEST(MuxHostile, OpenWithKeyButNoTargetIsRejectedBadTarget) {
    Hostile h;
    ASSERT_FALSE(h.feed(open_frame(1, 4096, "", sample_key(3))));
    const auto rejects = frames_on(take_output(h.mux), FrameType::reject, 1);
    ASSERT_EQ(rejects.size(), 1u);
    EXPECT_EQ(rejects[0].code(), static_cast<std::uint16_t>(Errc::bad_target));
}

TEST(MuxHostile, OpenAfterLocalGoawayIsRejectedGoingAway) {
    Hostile h;
    h.mux.goaway(Errc::going_away, "draining");
    take_output(h.mux);
    ASSERT_FALSE(h.feed(open_frame(1, 4096, "lab/ssh")));
    EXPECT_FALSE(has_event<StreamOpened>(drain_events(h.mux)));
    const auto rejects = frames_on(take_output(h.mux), FrameType::reject, 1);
    ASSERT_EQ(rejects.size(), 1u);
    EXPECT_EQ(rejects[0].code(), static_cast<std::uint16_t>(Errc::going_away));
}

TEST(MuxHostile, OpenBeyondMaxStreamsIsRejectedTooManyStreams) {
    Hostile h(Role::acceptor, {.max_streams = 1});
    ASSERT_FALSE(h.feed(open_frame(1, 4096, "lab/a")));
    ASSERT_FALSE(h.feed(open_frame(3, 4096, "lab/b")));
    EXPECT_EQ(events_of<StreamOpened>(drain_events(h.mux)).size(), 1u);
    const auto rejects = frames_on(take_output(h.mux), FrameType::reject, 3);
    ASSERT_EQ(rejects.size(), 1u);
    EXPECT_EQ(rejects[0].code(), static_cast<std::uint16_t>(Errc::too_many_streams));
    EXPECT_TRUE(h.mux.stream_exists(1));
}

// ---- ACCEPT / REJECT --------------------------------------------------------------------

TEST(MuxHostile, AcceptForAStreamThePeerOpenedIsFatal) {
    Hostile h;
    ASSERT_FALSE(h.feed(open_frame(1, 4096, "lab/a")));
    expect_fatal(h.mux, h.feed(accept_frame(1, 4096)), Errc::protocol_error);
    Hostile h2 = with_accepted_stream();
    expect_fatal(h2.mux, h2.feed(accept_frame(1, 4096)), Errc::protocol_error);
}

TEST(MuxHostile, RejectForAStreamThePeerOpenedIsFatal) {
    Hostile h = with_accepted_stream();
    expect_fatal(h.mux, h.feed(coded_frame(FrameType::reject, 1, Errc::cancelled, "")), Errc::protocol_error);
}

TEST(MuxHostile, SecondAcceptIsFatal) {
    Hostile h = with_own_waiting_stream();
    ASSERT_FALSE(h.feed(accept_frame(2, 4096)));
    expect_fatal(h.mux, h.feed(accept_frame(2, 4096)), Errc::protocol_error);
}

TEST(MuxHostile, RejectAfterAcceptIsFatal) {
    Hostile h = with_own_waiting_stream();
    ASSERT_FALSE(h.feed(accept_frame(2, 4096)));
    expect_fatal(h.mux, h.feed(coded_frame(FrameType::reject, 2, Errc::cancelled, "")), Errc::protocol_error);
}

TEST(MuxHostile, AcceptOrRejectForAStreamThisSideResetIsIgnored) {
    Hostile h = with_own_waiting_stream();
    h.mux.reset(2, Errc::cancelled, "changed my mind");
    EXPECT_FALSE(h.feed(accept_frame(2, 4096)));
    EXPECT_FALSE(h.feed(coded_frame(FrameType::reject, 2, Errc::cancelled, "")));
    EXPECT_TRUE(drain_events(h.mux).empty());
}

TEST(MuxHostile, AcceptCarriesWindowAndKey) {
    Hostile h = with_own_waiting_stream();
    ASSERT_FALSE(h.feed(accept_frame(2, 100, sample_key(9))));
    const auto accepted = events_of<StreamAccepted>(drain_events(h.mux));
    ASSERT_EQ(accepted.size(), 1u);
    EXPECT_EQ(accepted[0].acceptor_key, sample_key(9));
    EXPECT_EQ(h.mux.send_capacity(2), 100u);
}

TEST(MuxHostile, MalformedAcceptIsFatal) {
    const std::vector<Bytes> payloads{
        Bytes{0, 0, 16},             // short window
        Bytes{0, 0, 16, 0},          // no key_len
        Bytes{0x80, 0, 0, 0, 0},     // window above 2^31-1
        Bytes{0, 0, 16, 0, 0, 9},    // trailing byte
        Bytes{0, 0, 16, 0, 1, 9},    // key_len 1
        Bytes{0, 0, 16, 0, 32, 1},   // truncated key
    };
    for (const auto& payload : payloads) {
        Hostile h = with_own_waiting_stream();
        expect_fatal(h.mux, h.feed(payload_frame(FrameType::accept, 2, payload)), Errc::malformed_frame);
    }
}

TEST(MuxHostile, RejectCarriesCodeAndReason) {
    Hostile h = with_own_waiting_stream();
    ASSERT_FALSE(h.feed(coded_frame(FrameType::reject, 2, Errc::unknown_endpoint, "no lab here")));
    const auto rejected = events_of<StreamRejected>(drain_events(h.mux));
    ASSERT_EQ(rejected.size(), 1u);
    EXPECT_EQ(rejected[0].code, Errc::unknown_endpoint);
    EXPECT_EQ(rejected[0].reason, "no lab here");
    EXPECT_FALSE(h.mux.stream_exists(2));
}

TEST(MuxHostile, UnknownCodeIsReportedAsProtocolError) {
    Hostile h = with_own_waiting_stream();
    ASSERT_FALSE(h.feed(payload_frame(FrameType::reject, 2, {0x03, 0xe7})));
    const auto rejected = events_of<StreamRejected>(drain_events(h.mux));
    ASSERT_EQ(rejected.size(), 1u);
    EXPECT_EQ(rejected[0].code, Errc::protocol_error);
}

TEST(MuxHostile, ShortCodedPayloadsAreMalformed) {
    {
        Hostile h = with_own_waiting_stream();
        expect_fatal(h.mux, h.feed(payload_frame(FrameType::reject, 2, {0})), Errc::malformed_frame);
    }
    {
        Hostile h = with_accepted_stream();
        expect_fatal(h.mux, h.feed(payload_frame(FrameType::reset, 1, {0})), Errc::malformed_frame);
    }
    {
        Hostile h;
        expect_fatal(h.mux, h.feed(payload_frame(FrameType::goaway, 0, {})), Errc::malformed_frame);
    }
}

TEST(MuxHostile, ResetCarriesCodeAndReason) {
    Hostile h = with_accepted_stream();
    ASSERT_FALSE(h.feed(coded_frame(FrameType::reset, 1, Errc::timeout, "idle")));
    const auto resets = events_of<StreamReset>(drain_events(h.mux));
    ASSERT_EQ(resets.size(), 1u);
    EXPECT_EQ(resets[0].code, Errc::timeout);
    EXPECT_EQ(resets[0].reason, "idle");
    EXPECT_FALSE(h.mux.stream_exists(1));
}

// ---- session frames -------------------------------------------------------------------

TEST(MuxHostile, PingIsEchoedWithAck) {
    Hostile h;
    ASSERT_FALSE(h.feed(ping_frame(0x0102030405060708ull)));
    const auto pings = of_type(take_output(h.mux), FrameType::ping);
    ASSERT_EQ(pings.size(), 1u);
    EXPECT_EQ(pings[0].header.flags, kFlagAck);
    EXPECT_EQ(pings[0].payload, u64_payload(0x0102030405060708ull));
    EXPECT_TRUE(drain_events(h.mux).empty());
}

TEST(MuxHostile, PingOfWrongLengthIsMalformed) {
    for (std::size_t n : {0u, 7u, 9u}) {
        Hostile h;
        expect_fatal(h.mux, h.feed(payload_frame(FrameType::ping, 0, Bytes(n, 1))), Errc::malformed_frame);
    }
}

TEST(MuxHostile, PongIsReportedNotAnswered) {
    Hostile h;
    ASSERT_FALSE(h.feed(ping_frame(77, true)));
    const auto pongs = events_of<PongReceived>(drain_events(h.mux));
    ASSERT_EQ(pongs.size(), 1u);
    EXPECT_EQ(pongs[0].payload, 77u);
    EXPECT_TRUE(take_output(h.mux).empty());
}

TEST(MuxHostile, GoawayFromPeerIsReportedAndStopsOpens) {
    Hostile h;
    ASSERT_FALSE(h.feed(coded_frame(FrameType::goaway, 0, Errc::going_away, "restart")));
    const auto goaways = events_of<GoAwayReceived>(drain_events(h.mux));
    ASSERT_EQ(goaways.size(), 1u);
    EXPECT_EQ(goaways[0].reason, "restart");
    EXPECT_TRUE(h.mux.peer_going_away());
    EXPECT_EQ(h.mux.open("lab/ssh"), 0u);
    EXPECT_FALSE(h.mux.failed());
}

TEST(MuxHostile, ControlMessageIsReported) {
    Hostile h;
    ASSERT_FALSE(h.feed(control_frame(Register{"lab", {"ssh"}})));
    const auto got = events_of<ControlReceived>(drain_events(h.mux));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].message, (ControlMessage{Register{"lab", {"ssh"}}}));
}

TEST(MuxHostile, MalformedControlMessageIsFatal) {
    for (const Bytes& payload : {Bytes{}, Bytes{9}, Bytes{3, 0}, Bytes{2, 0, 1, '.'}}) {
        Hostile h;
        expect_fatal(h.mux, h.feed(payload_frame(FrameType::control, 0, payload)), Errc::malformed_frame);
    }
}

TEST(MuxHostile, PingFloodWithoutReadingOutputIsOverloadedAndBounded) {
    const std::size_t backlog = 4096;
    Hostile h(Role::acceptor, {.max_control_backlog = backlog});
    const std::size_t bound = backlog + 2 * (FrameHeader::kSize + 8) + FrameHeader::kSize + 2 + kMaxReasonLen;
    std::error_code ec;
    int sent = 0;
    for (; sent < 100000 && !ec; ++sent) {
        ec = h.feed(ping_frame(static_cast<std::uint64_t>(sent)));
        ASSERT_LE(h.mux.buffered_bytes(), bound) << "after " << sent << " pings";
    }
    EXPECT_LE(sent, static_cast<int>(backlog / (FrameHeader::kSize + 8)) + 2);
    expect_fatal(h.mux, ec, Errc::overloaded);
}

TEST(MuxHostile, PingFloodThatIsReadIsFine) {
    Hostile h(Role::acceptor, {.max_control_backlog = 4096});
    for (int i = 0; i < 5000; ++i) {
        ASSERT_FALSE(h.feed(ping_frame(static_cast<std::uint64_t>(i))));
        take_output(h.mux);
    }
}

TEST(MuxHostile, PingFloodInOneReceiveIsOverloaded) {
    Hostile h(Role::acceptor, {.max_control_backlog = 4096});
    Bytes flood;
    for (int i = 0; i < 2000; ++i) flood = concat({flood, ping_frame(static_cast<std::uint64_t>(i))});
    const auto ec = h.feed(flood);
    EXPECT_LE(h.mux.buffered_bytes(), 4096u + 2 * (FrameHeader::kSize + 8) + FrameHeader::kSize + 2 + kMaxReasonLen);
    expect_fatal(h.mux, ec, Errc::overloaded);
}

}  // namespace
}  // namespace burrow::proto
