// io::StreamPump's states (tests/io/pump_tunnel.hpp): the pump's phase and
// each direction's state, from start to a clean end both ways.
#include <gtest/gtest.h>

#include "tests/io/pump_tunnel.hpp"

namespace burrow::io::test {
namespace {

TEST(StreamPumpState, EachDirectionEndsWholeOnItsOwnThenThePumpsEndClean) {
    Tunnel t;
    ASSERT_TRUE(t.run_until([&] {
        return t.endpoint_pump && t.client_pump && t.client_pump->phase() == Phase::pumping;
    }));
    EXPECT_EQ(t.client_phase_at_start, Phase::waiting) << "a stream it opened waits for ACCEPT";
    EXPECT_EQ(t.endpoint_phase_at_start, Phase::pumping) << "a stream it accepted with its local side runs at once";

    // Program -> service: the program's end of stream reaches the service
    // and ends that direction at both pumps; the other stays open.
    const Bytes up = pattern(200 * 1024);
    ASSERT_TRUE(t.run_until([&] { return t.program.write(up); }));
    t.program.half_close();
    ASSERT_TRUE(t.run_until([&] { return t.service.read(); }));
    EXPECT_EQ(t.service.end, "eof");
    EXPECT_EQ(t.service.got, up);
    EXPECT_EQ(t.client_pump->upload_state(), HalfState::ended);
    EXPECT_EQ(t.endpoint_pump->download_state(), HalfState::ended);
    EXPECT_EQ(t.client_pump->download_state(), HalfState::open);
    EXPECT_EQ(t.endpoint_pump->upload_state(), HalfState::open);
    EXPECT_EQ(t.client_pump->phase(), Phase::pumping);
    EXPECT_EQ(t.endpoint_pump->phase(), Phase::pumping);

    // Service -> program, then both pumps are over, without an error.
    const Bytes down = pattern(300 * 1024);
    ASSERT_TRUE(t.run_until([&] { return t.service.write(down); }));
    t.service.half_close();
    ASSERT_TRUE(t.run_until([&] { return t.program.read() && t.client_done && t.endpoint_done; }));
    EXPECT_EQ(t.program.end, "eof");
    EXPECT_EQ(t.program.got, down);
    EXPECT_FALSE(*t.client_done) << t.client_done->message();
    EXPECT_FALSE(*t.endpoint_done) << t.endpoint_done->message();
    EXPECT_EQ(t.client_done->message(), "");
    for (const auto& pump : {t.client_pump, t.endpoint_pump}) {
        EXPECT_EQ(pump->upload_state(), HalfState::ended);
        EXPECT_EQ(pump->download_state(), HalfState::ended);
        EXPECT_EQ(pump->phase(), Phase::finished);
    }
}

TEST(StreamPumpState, APeerEndIsPassedOnOnlyAfterEveryByteBeforeIt) {
    // The program reads nothing yet, through small socket buffers: the
    // service's bytes and end reach the client pump, which cannot write
    // them all. Its download is ending, not ended, and the program sees no
    // end until it has read every byte.
    TunnelSetup setup;
    setup.program_receive_buffer = 4096;
    setup.client_send_buffer = 4096;
    Tunnel t(setup);
    const Bytes down = pattern(256 * 1024);
    ASSERT_TRUE(t.run_until([&] { return t.service.write(down); }));
    t.service.half_close();
    ASSERT_TRUE(t.run_until([&] { return t.client_pump && t.client_pump->download_state() == HalfState::ending; }));
    EXPECT_EQ(t.endpoint_pump->upload_state(), HalfState::ended);
    EXPECT_FALSE(t.program_got_fin());
    EXPECT_EQ(t.client_pump->phase(), Phase::pumping);

    ASSERT_TRUE(t.run_until([&] { return t.program.read(); }));
    EXPECT_EQ(t.program.end, "eof");
    EXPECT_EQ(t.program.got, down);
    EXPECT_EQ(t.client_pump->download_state(), HalfState::ended);
    EXPECT_EQ(t.client_pump->upload_state(), HalfState::open);
}

TEST(StreamPumpState, APumpAbortedBeforeItRanEndsAtOnce) {
    // The endpoint rejects: the client pump never leaves `waiting` for its
    // halves, so the abort itself ends both.
    TunnelSetup setup;
    setup.endpoint_rejects = true;
    Tunnel t(setup);
    ASSERT_TRUE(t.run_until([&] { return t.client_done.has_value(); }));
    EXPECT_EQ(t.client_pump->phase(), Phase::finished);
    EXPECT_EQ(t.client_pump->upload_state(), HalfState::cut);
    EXPECT_EQ(t.client_pump->download_state(), HalfState::cut);
}

}  // namespace
}  // namespace burrow::io::test
