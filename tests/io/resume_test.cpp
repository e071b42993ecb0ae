// io/resume: reading what a new transport opens with, and the initiator's
// reattach() loop against a relay played by the test over in-memory
// connections (docs/PROTOCOL.md §3.6).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "io/relay_dial.hpp"
#include "io/resume.hpp"
#include "io/spawn.hpp"
#include "tests/support/run_until.hpp"
#include "tests/support/session_lab.hpp"

namespace burrow::io::test {
namespace {

// How the relay answers the Nth RESUME.
enum class Answer { resumed, refused, hang_up, garbage, other_key };

// The relay's end of a re-dialled transport: reads RESUME, answers.
awaitable<void> relay_side(SessionLab& lab, std::unique_ptr<ByteStream> transport, Answer answer) {
    const Opening opening = co_await read_opening(*transport);
    if (!opening.resume) throw std::runtime_error("no RESUME");
    if (opening.resume->ticket != lab_ticket()) throw std::runtime_error("another ticket");
    switch (answer) {
        case Answer::hang_up:
        case Answer::other_key: transport->close(); co_return;
        case Answer::garbage: {
            const Bytes unknown_frame = {0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0};
            co_await transport->write_all(unknown_frame);
            co_return;
        }
        case Answer::refused: {
            const auto refusal = proto::encode_resume_refusal(proto::Errc::session_closed, "no such session");
            co_await transport->write_all(refusal);
            co_return;
        }
        case Answer::resumed: {
            const auto resumed = proto::encode_resumed(lab.acceptor->received_total());
            co_await transport->write_all(resumed);
            lab.acceptor->resume(std::move(transport), opening.resume->received);
            co_return;
        }
    }
}

// A relay that the dials before the `reachable_at`th do not reach.
struct Relay {
    Relay(SessionLab& l, int reachable, std::vector<Answer> a)
        : lab(l), reachable_at(reachable), answers(std::move(a)) {}
    SessionLab& lab;
    int reachable_at;
    std::vector<Answer> answers;  // one per dial that reaches it; the last repeats
    int dials = 0;

    Redial redial() {
        return [this]() -> awaitable<std::unique_ptr<ByteStream>> {
            ++dials;
            if (dials < reachable_at) throw std::runtime_error("relay unreachable");
            const auto nth = static_cast<std::size_t>(dials - reachable_at);
            const Answer answer = answers.at(std::min(nth, answers.size() - 1));
            if (answer == Answer::other_key) throw RelayKeyRefused("RELAY KEY CHANGED");
            auto link = make_memory_stream_pair(lab.ctx.get_executor());
            spawn(lab.ctx.get_executor(), relay_side(lab, std::move(link.b), answer), "relay side",
                  [](const std::string& what) { ADD_FAILURE() << "relay side: " << what; });
            co_return std::move(link.a);
        };
    }
};

// A resumable pair of sessions with a stream open and the transport cut.
struct Suspended : SessionLab {
    Suspended() : SessionLab(true) {
        EXPECT_TRUE(up());
        stream = open("lab/resume");
        wire->cut();
        EXPECT_TRUE(run([&] { return initiator->suspended() && acceptor->suspended(); }));
    }
    LabStream stream;
};

TEST(Resume, ReattachPutsTheSessionOnANewTransport) {
    Suspended lab;
    Relay relay{lab, 1, {Answer::resumed}};
    EXPECT_EQ(run_task(lab.ctx, reattach(lab.initiator, relay.redial())), "");
    EXPECT_EQ(relay.dials, 1);
    EXPECT_FALSE(lab.initiator->suspended());
    const Bytes up = to_bytes("after the break");
    SessionLab::send(*lab.initiator, lab.stream.id, up);
    ASSERT_TRUE(lab.run([&] { return lab.stream.far->data == up; }));
    EXPECT_EQ(lab.initiator_events->resumed, 1);
    EXPECT_FALSE(lab.stream.near->session_closed.has_value());
}

TEST(Resume, ReattachTriesAgainAfterAFailedDialAndAHangUp) {
    Suspended lab;
    Relay relay{lab, 2, {Answer::hang_up, Answer::resumed}};
    EXPECT_EQ(run_task(lab.ctx, reattach(lab.initiator, relay.redial())), "");
    EXPECT_EQ(relay.dials, 3);
    EXPECT_FALSE(lab.initiator->suspended());
    EXPECT_FALSE(lab.initiator->closed());
}

TEST(Resume, ARefusalClosesTheSessionWithTheRelaysReason) {
    Suspended lab;
    Relay relay{lab, 1, {Answer::refused}};
    EXPECT_EQ(run_task(lab.ctx, reattach(lab.initiator, relay.redial())), "");
    EXPECT_EQ(relay.dials, 1);
    EXPECT_TRUE(lab.initiator->closed());
    EXPECT_EQ(lab.initiator_events->closed, "the relay cannot resume the session: no such session");
    EXPECT_EQ(lab.stream.near->session_closed, lab.initiator_events->closed);
}

TEST(Resume, AMalformedAnswerIsTriedAgain) {
    Suspended lab;
    Relay relay{lab, 1, {Answer::garbage, Answer::resumed}};
    EXPECT_EQ(run_task(lab.ctx, reattach(lab.initiator, relay.redial())), "");
    EXPECT_EQ(relay.dials, 2);
    EXPECT_FALSE(lab.initiator->suspended());
    EXPECT_FALSE(lab.initiator->closed());
}

TEST(Resume, ARelayWithAnotherKeyClosesTheSession) {
    Suspended lab;
    Relay relay{lab, 1, {Answer::other_key}};
    EXPECT_EQ(run_task(lab.ctx, reattach(lab.initiator, relay.redial())), "");
    EXPECT_EQ(relay.dials, 1);
    EXPECT_EQ(lab.initiator_events->closed, "the relay now presents another key");
}

TEST(Resume, ReattachGivesUpWhenTheSessionClosesMeanwhile) {
    Suspended lab;
    lab.initiator->close("the user quit");
    Relay relay{lab, 1, {Answer::resumed}};
    EXPECT_EQ(run_task(lab.ctx, reattach(lab.initiator, relay.redial())), "");
    EXPECT_EQ(relay.dials, 0);
}

struct Raw {
    asio::io_context ctx;
    MemoryStreamPair pair = make_memory_stream_pair(ctx.get_executor());

    // What read_opening() made of `first`; its error text in `error`.
    Opening open_with(const Bytes& first, bool then_close, std::string& error) {
        Opening opening;
        error = run_task(ctx, [&]() -> awaitable<void> {
            co_await pair.a->write_all(first);
            if (then_close) pair.a->shutdown_send();
            opening = co_await read_opening(*pair.b);
        });
        return opening;
    }
};

TEST(Resume, ANewSessionsFirstBytesAreHandedBack) {
    Raw raw;
    proto::Mux initiator(proto::Role::initiator);
    const auto hello = initiator.pending_output();
    const Bytes first(hello.begin(), hello.end());
    std::string error;
    const Opening opening = raw.open_with(first, false, error);
    EXPECT_EQ(error, "");
    EXPECT_FALSE(opening.resume);
    ASSERT_FALSE(opening.bytes.empty());
    EXPECT_TRUE(std::equal(opening.bytes.begin(), opening.bytes.end(), first.begin()));
}

TEST(Resume, ARequestIsReadAndNothingPastIt) {
    Raw raw;
    proto::ResumeRequest request;
    request.ticket = lab_ticket();
    request.received = 12345;
    Bytes first = proto::encode_resume(request);
    const std::size_t frame = first.size();
    first.push_back(0xee);  // belongs to what follows the RESUME
    std::string error;
    raw.pair.wire->faults(End::b).one_byte_reads = true;
    const Opening opening = raw.open_with(first, false, error);
    EXPECT_EQ(error, "");
    ASSERT_TRUE(opening.resume);
    EXPECT_EQ(opening.resume->ticket, lab_ticket());
    EXPECT_EQ(opening.resume->received, 12345u);
    EXPECT_EQ(raw.pair.wire->in_flight(End::a), first.size() - frame);
}

TEST(Resume, AMalformedRequestIsRefused) {
    Raw raw;
    proto::ResumeRequest request;
    request.ticket = lab_ticket();
    Bytes first = proto::encode_resume(request);
    first[9] ^= 1;  // the frame length
    std::string error;
    raw.open_with(first, false, error);
    EXPECT_EQ(error.rfind("malformed RESUME", 0), 0u) << error;
}

TEST(Resume, AnEndBeforeTheFirstFrameIsAnError) {
    Raw raw;
    std::string error;
    raw.open_with(Bytes{0x01, 0x00, 0x00}, true, error);
    EXPECT_EQ(error, "the peer closed the connection");
}

}  // namespace
}  // namespace burrow::io::test
