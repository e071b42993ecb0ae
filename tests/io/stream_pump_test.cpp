// io::StreamPump at both ends of one end-to-end stream (tests/io/pump_tunnel.hpp):
// how the local connections end when the stream does not end with the
// peer's end of stream, and what each pump reports.
#include <gtest/gtest.h>

#include "crypto/e2e_errc.hpp"
#include "tests/io/pump_tunnel.hpp"

namespace burrow::io::test {
namespace {

TEST(StreamPump, AServiceThatResetsIsAResetForTheProgram) {
    Tunnel t;
    const Bytes data = pattern(256 * 1024);
    ASSERT_TRUE(t.run_until([&] { return t.service.write(data); }));
    t.service.reset();
    ASSERT_TRUE(t.run_until([&] { return t.program.read() && t.client_done && t.endpoint_done; }));
    EXPECT_EQ(t.program.end, "reset") << "after " << t.program.got.size() << " bytes";
    EXPECT_TRUE(is_prefix(t.program.got, data));
    EXPECT_EQ(t.endpoint_done->code, PumpErrc::local_failed) << t.endpoint_done->message();
    EXPECT_TRUE(t.endpoint_done->cause) << "the socket's own error";
    EXPECT_EQ(t.client_done->code, PumpErrc::reset_by_peer) << t.client_done->message();
    EXPECT_EQ(t.client_done->cause, proto::Errc::cancelled);
    EXPECT_EQ(t.client_done->message(), "stream reset by peer: " + t.endpoint_done->message());
}

TEST(StreamPump, AProgramThatResetsIsAResetForTheService) {
    Tunnel t;
    const Bytes data = pattern(256 * 1024);
    ASSERT_TRUE(t.run_until([&] { return t.program.write(data); }));
    t.program.reset();
    ASSERT_TRUE(t.run_until([&] { return t.service.read() && t.client_done && t.endpoint_done; }));
    EXPECT_EQ(t.service.end, "reset") << "after " << t.service.got.size() << " bytes";
    EXPECT_TRUE(is_prefix(t.service.got, data));
    EXPECT_EQ(t.client_done->code, PumpErrc::local_failed) << t.client_done->message();
    EXPECT_EQ(t.endpoint_done->code, PumpErrc::reset_by_peer) << t.endpoint_done->message();
}

TEST(StreamPump, ASessionThatEndsIsAResetForBothEnds) {
    Tunnel t;
    const Bytes up = pattern(1000), down = pattern(2000);
    ASSERT_TRUE(t.run_until([&] {
        const bool sent = t.program.write(up) && t.service.write(down);
        t.program.read();
        t.service.read();
        return sent && t.program.got.size() == down.size() && t.service.got.size() == up.size();
    }));
    t.endpoint->close("gone");
    ASSERT_TRUE(t.run_until([&] { return t.program.read() && t.service.read() && t.endpoint_done; }));
    EXPECT_EQ(t.program.end, "reset");
    EXPECT_EQ(t.service.end, "reset");
    EXPECT_EQ(t.program.got, down);
    EXPECT_EQ(t.service.got, up);
    EXPECT_EQ(t.endpoint_done->code, PumpErrc::session_closed);
    EXPECT_EQ(t.endpoint_done->message(), "session closed: gone");
    EXPECT_EQ(t.endpoint_pump->upload_state(), HalfState::cut);
    EXPECT_EQ(t.endpoint_pump->download_state(), HalfState::cut);
}

TEST(StreamPump, AProgramConnectionThatFailsAWriteIsAResetForTheService) {
    TunnelSetup setup;
    setup.program_in_memory = true;
    Tunnel t(setup);
    t.program_memory->wire->faults(End::a).fail_write = 1;
    ASSERT_TRUE(t.service.write(pattern(1000)));
    ASSERT_TRUE(t.run_until([&] { return t.service.read() && t.client_done && t.endpoint_done; }));
    EXPECT_EQ(t.service.end, "reset");
    EXPECT_EQ(t.client_done->code, PumpErrc::local_failed) << t.client_done->message();
    EXPECT_TRUE(t.client_done->detail.starts_with("memory stream: injected write failure")) << t.client_done->detail;
    EXPECT_EQ(t.client_pump->download_state(), HalfState::cut);
    EXPECT_TRUE(t.program_memory->wire->reset_by(End::a)) << "the program's connection is reset, not ended";
    EXPECT_EQ(t.program_memory->wire->written(End::a), 0u);
    EXPECT_EQ(t.endpoint_done->code, PumpErrc::reset_by_peer) << t.endpoint_done->message();
    EXPECT_EQ(t.endpoint_done->message(), "stream reset by peer: " + t.client_done->message());
}

TEST(StreamPump, AWholeDirectionKeepsItsCleanEndThroughALaterReset) {
    // The program reads nothing until the stream is over, through a small
    // receive buffer: most of the service's bytes still wait in the client
    // pump's socket when the RESET comes. A reset there would drop them.
    TunnelSetup setup;
    setup.program_receive_buffer = 4096;
    Tunnel t(setup);
    const Bytes data = pattern(512 * 1024);
    ASSERT_TRUE(t.run_until([&] { return t.service.write(data); }));
    t.service.half_close();
    ASSERT_TRUE(t.run_until([&] { return t.program_got_fin(); }));
    EXPECT_EQ(t.client_pump->download_state(), HalfState::ended);
    // Now the service goes away; the program's next byte cannot be written
    // to it, and the endpoint resets the stream.
    t.service.reset();
    const Bytes one{'x'};
    ASSERT_TRUE(t.run_until([&] { return t.program.write(one) && t.client_done; }));
    EXPECT_EQ(t.client_done->code, PumpErrc::reset_by_peer) << t.client_done->message();
    EXPECT_EQ(t.client_pump->download_state(), HalfState::ended) << "the whole direction stays whole";
    EXPECT_EQ(t.client_pump->upload_state(), HalfState::cut);
    ASSERT_TRUE(t.run_until([&] { return t.program.read(); }));
    EXPECT_EQ(t.program.end, "eof");
    EXPECT_EQ(t.program.got, data);
}

TEST(StreamPump, AnEndpointThatRejectsIsAResetWithItsReason) {
    TunnelSetup setup;
    setup.endpoint_rejects = true;
    Tunnel t(setup);
    ASSERT_TRUE(t.run_until([&] { return t.program.read() && t.client_done; }));
    EXPECT_EQ(t.program.end, "reset");
    EXPECT_EQ(t.client_done->code, PumpErrc::rejected);
    EXPECT_EQ(t.client_done->cause, proto::Errc::unknown_service);
    EXPECT_EQ(t.client_done->message(), "endpoint 'lab' has no service 'svc'");
    EXPECT_EQ(t.client_pump->phase(), Phase::finished);
}

TEST(StreamPump, ARefusedEndpointIsResetBeforeTheHandshake) {
    TunnelSetup setup;
    setup.client_refuses = true;
    Tunnel t(setup);
    ASSERT_TRUE(t.run_until([&] { return t.program.read() && t.service.read() && t.client_done && t.endpoint_done; }));
    EXPECT_EQ(t.program.end, "reset");
    EXPECT_EQ(t.service.end, "reset");
    EXPECT_EQ(t.client_done->code, PumpErrc::refused);
    EXPECT_EQ(t.client_done->message(), "not the endpoint this client pins");
    EXPECT_EQ(t.endpoint_done->code, PumpErrc::reset_by_peer);
    EXPECT_EQ(t.endpoint_done->cause, proto::Errc::not_authorized);
    EXPECT_EQ(t.endpoint_done->message(), "stream reset by peer: not the endpoint this client pins");
    EXPECT_TRUE(t.service.got.empty());
}

TEST(StreamPumpLateDial, TheServiceIsDialedOnceTheHandshakeIsDoneAndCarriesBothWays) {
    LateDial late;
    TunnelSetup setup;
    setup.late = &late;
    Tunnel t(setup);
    const Bytes up = pattern(100 * 1024), down = pattern(300 * 1024);
    ASSERT_TRUE(t.run_until([&] {
        const bool sent = t.program.write(up) && t.service.write(down);
        t.program.read();
        t.service.read();
        return sent && t.program.got.size() == down.size() && t.service.got.size() == up.size();
    }));
    EXPECT_EQ(t.program.got, down);
    EXPECT_EQ(t.service.got, up);
    EXPECT_EQ(late.dials, 1);
    EXPECT_EQ(t.endpoint_phase_at_start, Phase::dialing) << "the service waits for the client's proof";
    EXPECT_EQ(t.endpoint_pump->phase(), Phase::pumping);
}

TEST(StreamPumpLateDial, AHandshakeThatDoesNotFinishIsResetWithoutADial) {
    LateDial late;
    late.client_speaks = false;
    TunnelSetup setup;
    setup.late = &late;
    Tunnel t(setup);
    ASSERT_TRUE(t.run_until([&] { return t.endpoint_done.has_value(); }));
    EXPECT_EQ(t.endpoint_done->code, PumpErrc::handshake_timeout);
    EXPECT_EQ(t.endpoint_done->message(), "the client did not finish the end-to-end handshake within 0 s");
    EXPECT_EQ(late.dials, 0);
    EXPECT_EQ(t.endpoint_pump->upload_state(), HalfState::cut);
    EXPECT_EQ(t.endpoint_pump->download_state(), HalfState::cut);
}

TEST(StreamPumpLateDial, AClientWithoutTheExpectedKeyNeverGetsADial) {
    LateDial late;
    late.wrong_client_key = true;
    TunnelSetup setup;
    setup.late = &late;
    Tunnel t(setup);
    ASSERT_TRUE(t.run_until([&] { return t.program.write(pattern(1000)) && t.endpoint_done && t.client_done; }));
    // The client cannot read the endpoint's msg2, made for another key: it resets.
    EXPECT_EQ(t.client_done->code, PumpErrc::end_to_end) << t.client_done->message();
    EXPECT_EQ(t.client_done->cause, crypto::E2eErrc::auth_failed) << t.client_done->message();
    EXPECT_EQ(t.client_done->message(), "end-to-end: " + t.client_done->cause.message());
    EXPECT_EQ(t.endpoint_done->code, PumpErrc::reset_by_peer) << t.endpoint_done->message();
    EXPECT_EQ(t.endpoint_done->cause, proto::Errc::protocol_error);
    EXPECT_EQ(t.endpoint_done->message(), "stream reset by peer: " + t.client_done->message());
    EXPECT_EQ(late.dials, 0);
    ASSERT_TRUE(t.run_until([&] { return t.program.read(); }));
    EXPECT_EQ(t.program.end, "reset");
}

// A tunnel whose endpoint pump connects the service only after the handshake, as `late` says.
std::unique_ptr<Tunnel> late_tunnel(LateDial& late) {
    TunnelSetup setup;
    setup.late = &late;
    return std::make_unique<Tunnel>(setup);
}

TEST(StreamPumpLateDial, AFailedDialResetsTheStreamWithItsReason) {
    LateDial late;
    late.fails = true;
    const auto tunnel = late_tunnel(late);
    Tunnel& t = *tunnel;
    ASSERT_TRUE(t.run_until([&] { return t.program.read() && t.client_done && t.endpoint_done; }));
    EXPECT_EQ(t.program.end, "reset");
    EXPECT_EQ(t.endpoint_done->code, PumpErrc::dial_failed);
    EXPECT_EQ(t.endpoint_done->cause, std::errc::connection_refused);
    EXPECT_EQ(t.client_done->code, PumpErrc::reset_by_peer);
    EXPECT_EQ(t.client_done->cause, proto::Errc::service_unavailable);
    EXPECT_EQ(t.client_done->message(), "stream reset by peer: connecting to the service: refused here");
    EXPECT_EQ(late.dials, 1);
}

TEST(StreamPumpLateDial, ADialThatThrowsResetsTheStreamAsAnInternalError) {
    LateDial late;
    late.throws = true;
    const auto tunnel = late_tunnel(late);
    Tunnel& t = *tunnel;
    ASSERT_TRUE(t.run_until([&] { return t.program.read() && t.client_done && t.endpoint_done; }));
    EXPECT_EQ(t.program.end, "reset");
    EXPECT_EQ(t.endpoint_pump->phase(), Phase::finished);
    EXPECT_EQ(t.endpoint_done->code, PumpErrc::dial_failed);
    EXPECT_EQ(t.client_done->cause, proto::Errc::internal_error);
    EXPECT_EQ(t.client_done->message(), "stream reset by peer: " + t.endpoint_done->message());
    EXPECT_EQ(t.endpoint_done->message(), "resolving the service: it broke");
}

TEST(StreamPumpLateDial, AServiceDialedAfterTheStreamWasResetIsResetNotEnded) {
    LateDial late;
    late.hold = true;
    const auto tunnel = late_tunnel(late);
    Tunnel& t = *tunnel;
    ASSERT_TRUE(t.run_until([&] { return late.holding != nullptr; }));
    t.program.reset();
    ASSERT_TRUE(t.run_until([&] { return t.client_done && t.endpoint_pump->phase() == Phase::stopping; }));
    EXPECT_FALSE(t.endpoint_done) << "the pump ends once the dial is back";
    late.holding->cancel();
    ASSERT_TRUE(t.run_until([&] { return t.service.read() && t.endpoint_done; }));
    EXPECT_EQ(t.service.end, "reset");
    EXPECT_TRUE(t.service.got.empty());
    EXPECT_EQ(t.client_done->code, PumpErrc::local_failed) << t.client_done->message();
    EXPECT_EQ(t.endpoint_done->code, PumpErrc::reset_by_peer) << t.endpoint_done->message();
    EXPECT_EQ(t.endpoint_pump->phase(), Phase::finished);
    EXPECT_EQ(late.dials, 1);
}

}  // namespace
}  // namespace burrow::io::test
