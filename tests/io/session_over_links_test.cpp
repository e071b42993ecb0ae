// io::Sessions over link streams (io/link_stream.hpp over memory
// connections): DATA flagged E2E crosses the link unsealed and arrives
// whole, and a connection cut anywhere, in the middle of an end-to-end
// payload too, resumes from a frame boundary on both ends (docs/PROTOCOL.md §1.3, §3.6).
#include <gtest/gtest.h>

#include "tests/support/session_lab.hpp"

namespace burrow::io::test {
namespace {

bool both_suspended(SessionLab& lab) { return lab.initiator->suspended() && lab.acceptor->suspended(); }

TEST(SessionOverLinks, EndToEndBytesArriveWholeAndTheReceiverIsToldOnce) {
    SessionLab lab(false, {}, LabTransport::link);
    ASSERT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/e2e");
    const Bytes handshake = to_bytes("handshake bytes, sealed on the link");
    SessionLab::send(*lab.initiator, id, handshake);
    lab.initiator->mux().mark_end_to_end(id);
    const Bytes records = pattern(200 * 1024);
    SessionLab::send(*lab.initiator, id, records);
    Bytes expected = handshake;
    expected.insert(expected.end(), records.begin(), records.end());
    ASSERT_TRUE(lab.run([&] { return far->data.size() >= expected.size(); }));
    EXPECT_EQ(far->data, expected);
    EXPECT_EQ(far->end_to_end, 1);
    EXPECT_EQ(near->end_to_end, 0);
}

TEST(SessionOverLinks, ACutAnywhereInEndToEndTrafficResumesFromAFrameBoundary) {
    // Past the handshake; in a header record; in the first byte, the middle
    // and the last byte of an end-to-end payload; across several frames.
    for (const std::size_t cut : {std::size_t{3}, std::size_t{20}, std::size_t{29}, std::size_t{40 * 1024 + 3},
                                  std::size_t{16 * 1024 + 27}, std::size_t{100 * 1024}}) {
        SCOPED_TRACE(cut);
        SessionLab lab(true, {}, LabTransport::link);
        ASSERT_TRUE(lab.up());
        const auto [id, near, far] = lab.open("lab/bulk");
        lab.acceptor->mux().mark_end_to_end(id);
        ASSERT_TRUE(lab.run([&] { return lab.wire->in_flight(End::b) == 0; }));
        lab.wire->faults(End::b).cut_after = lab.wire->written(End::b) + cut;
        lab.wire->faults(End::b).cut_resets = true;
        const Bytes bulk = pattern(300 * 1024);
        SessionLab::send(*lab.acceptor, id, bulk);
        ASSERT_TRUE(lab.run([&] { return both_suspended(lab); }));
        EXPECT_LT(near->data.size(), bulk.size());
        ASSERT_TRUE(lab.resume_both());
        ASSERT_TRUE(lab.run([&] { return near->data.size() >= bulk.size(); }));
        EXPECT_EQ(near->data, bulk);
        EXPECT_FALSE(lab.initiator->closed());
    }
}

// The acceptor sends bulk in DATA frames of 16 KiB; the connection breaks
// `whole` frames and `part` bytes later. Returns what the initiator counts
// as received then, less what it counted before.
std::uint64_t counted_after_cut(LabTransport transport, std::size_t whole, std::size_t part) {
    SessionLab lab(true, {}, transport);
    EXPECT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/bulk");
    if (transport == LabTransport::link) lab.acceptor->mux().mark_end_to_end(id);
    EXPECT_TRUE(lab.run([&] { return lab.wire->in_flight(End::b) == 0; }));
    const std::uint64_t before = lab.initiator->received_total();
    // On a link each frame is its header in a record (10 + 18 bytes), then the payload as it is.
    const std::size_t frame_on_wire = (transport == LabTransport::link ? 28 : 10) + 16 * 1024;
    lab.wire->faults(End::b).cut_after = lab.wire->written(End::b) + whole * frame_on_wire + part;
    SessionLab::send(*lab.acceptor, id, pattern(300 * 1024));
    EXPECT_TRUE(lab.run([&] { return both_suspended(lab); }));
    return lab.initiator->received_total() - before;
}

TEST(SessionOverLinks, OnlyWholeFramesCountAsReceived) {
    for (const auto transport : {LabTransport::plain, LabTransport::link}) {
        for (const std::size_t part : {std::size_t{0}, std::size_t{1}, std::size_t{9}, std::size_t{30},
                                       std::size_t{8000}, std::size_t{16 * 1024 + 9}}) {
            SCOPED_TRACE(part);
            EXPECT_EQ(counted_after_cut(transport, 2, part), 2u * (10 + 16 * 1024));
        }
    }
}

TEST(SessionOverLinks, TwoCutsInARowStillReplayExactlyOnce) {
    SessionLab lab(true, {}, LabTransport::link);
    ASSERT_TRUE(lab.up());
    const auto [id, near, far] = lab.open("lab/bulk");
    lab.initiator->mux().mark_end_to_end(id);
    Bytes expected;
    for (int round = 0; round < 2; ++round) {
        ASSERT_TRUE(lab.run([&] { return lab.wire->in_flight(End::a) == 0; }));
        lab.wire->faults(End::a).cut_after = lab.wire->written(End::a) + 5000 + 7 * round;
        const Bytes bulk = pattern(64 * 1024 + 11 * round);
        SessionLab::send(*lab.initiator, id, bulk);
        expected.insert(expected.end(), bulk.begin(), bulk.end());
        ASSERT_TRUE(lab.run([&] { return both_suspended(lab); }));
        ASSERT_TRUE(lab.resume_both());
        ASSERT_TRUE(lab.run([&] { return far->data.size() >= expected.size(); }));
        EXPECT_EQ(far->data, expected);
    }
}

}  // namespace
}  // namespace burrow::io::test
