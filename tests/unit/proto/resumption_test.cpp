// Two sessions in memory, each a Mux with its Resumption, as io::Session runs
// them: the transport between them is cut at every byte offset, bytes in
// flight are lost, and the sessions resume with RESUME / RESUMED.
#include "proto/resumption.hpp"

#include <gtest/gtest.h>

#include "proto/resume_frames.hpp"

namespace burrow::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

const Clock::time_point t0{};

Bytes pattern(std::size_t n, std::uint8_t seed) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(seed + i * 7 + i / 251);
    return out;
}

ResumeTicket sample_ticket() {
    ResumeTicket t;
    t.id.fill(0x11);
    t.secret.fill(0x22);
    return t;
}

struct Side {
    explicit Side(Role role, ResumptionLimits limits = {}) : mux(role), res(role, limits) {}
    Mux mux;
    Resumption res;
    Bytes wire;       // written toward the peer, not delivered yet
    Bytes received;   // stream data that arrived
    StreamId stream = 0;
    std::error_code failure;
};

// What io::Session's writer does: every byte it hands the transport goes through Resumption.
void write(Side& s) {
    while (s.res.may_write()) {
        const auto out = s.mux.pending_output();
        if (out.empty()) return;
        const auto bytes = s.res.written(out, t0);
        s.wire.insert(s.wire.end(), bytes.begin(), bytes.end());
        s.mux.consume_output(out.size());
    }
}

void handle(Side& s) {
    while (auto e = s.mux.poll_event()) {
        if (auto* c = std::get_if<ControlReceived>(&*e)) {
            if (auto* t = std::get_if<ResumeTicket>(&c->message)) s.failure = s.res.take_ticket(*t);
        } else if (auto* d = std::get_if<StreamData>(&*e)) {
            s.received.insert(s.received.end(), d->bytes.begin(), d->bytes.end());
            s.mux.grant(d->stream, d->bytes.size(), t0);
        } else if (auto* o = std::get_if<StreamOpened>(&*e)) {
            s.stream = o->stream;
            s.mux.accept(o->stream);
        } else if (auto* a = std::get_if<AckReceived>(&*e)) {
            if (auto ec = s.res.on_ack(a->total, t0)) s.failure = ec;
        }
    }
    if (const auto ack = s.res.ack_due(false)) s.mux.ack(*ack);
}

// Delivers up to `n` bytes of what `from` wrote.
void deliver(Side& from, Side& to, std::size_t n = SIZE_MAX) {
    n = std::min(n, from.wire.size());
    if (n == 0) return;
    to.res.received(n);
    if (auto ec = to.mux.receive(std::span(from.wire).first(n))) to.failure = ec;
    from.wire.erase(from.wire.begin(), from.wire.begin() + static_cast<std::ptrdiff_t>(n));
    handle(to);
}

void settle(Side& a, Side& b) {
    for (int round = 0; round < 1000 && !a.failure && !b.failure; ++round) {
        write(a);
        write(b);
        if (a.wire.empty() && b.wire.empty()) return;
        deliver(a, b);
        deliver(b, a);
    }
}

// An initiator and an acceptor with a resumable session and stream 1 open.
struct Pair {
    Side i{Role::initiator};
    Side a{Role::acceptor};
    Pair() {
        settle(i, a);
        a.res.enable(sample_ticket());
        a.mux.send_control(sample_ticket());
        i.stream = i.mux.open("gpu/ssh");
        settle(i, a);
    }
};

// The transport breaks: what is in flight is lost. Then the initiator resumes.
void break_and_resume(Side& i, Side& a) {
    i.wire.clear();
    a.wire.clear();
    Opening opening;
    ASSERT_FALSE(parse_opening(i.res.resume_request(), opening));
    const auto request = std::get<ResumeRequest>(opening);
    ASSERT_EQ(request.ticket, *a.res.ticket());
    Bytes answer = encode_resumed(a.res.received_total());
    ASSERT_TRUE(a.res.replay(request.received, answer, t0));
    const std::size_t head = encode_resumed(0).size();
    ResumeAnswer parsed;
    ASSERT_FALSE(parse_resume_answer(std::span(answer).first(head), parsed));
    a.wire.assign(answer.begin() + static_cast<std::ptrdiff_t>(head), answer.end());
    ASSERT_TRUE(i.res.replay(std::get<ResumeAccepted>(parsed).received, i.wire, t0));
}

TEST(Resumption, TicketIsOneWay) {
    Pair p;
    ASSERT_FALSE(p.i.failure);
    EXPECT_EQ(p.i.res.ticket(), sample_ticket());
    EXPECT_EQ(p.i.res.take_ticket(sample_ticket()), Errc::protocol_error);  // a second one
    Resumption acceptor(Role::acceptor, {});
    EXPECT_EQ(acceptor.take_ticket(sample_ticket()), Errc::protocol_error);
    EXPECT_FALSE(acceptor.enabled());
}

TEST(Resumption, CutAtEveryByteOffsetLosesAndRepeatsNothing) {
    const Bytes down = pattern(3000, 1), up = pattern(1700, 9);
    std::size_t offsets = 0;
    for (std::size_t cut = 0;; ++cut) {
        Pair p;
        p.a.mux.send(p.a.stream, down);
        p.i.mux.send(p.i.stream, up);
        write(p.a);
        write(p.i);
        const std::size_t total = p.a.wire.size();
        if (cut > total) break;
        deliver(p.a, p.i, cut);
        if (const auto ack = p.i.res.ack_due(true)) p.i.mux.ack(*ack);  // as with a PING
        write(p.i);
        deliver(p.i, p.a, (cut * 7) % (p.i.wire.size() + 1));
        break_and_resume(p.i, p.a);
        settle(p.i, p.a);
        ASSERT_FALSE(p.i.failure) << cut << ": " << p.i.failure.message();
        ASSERT_FALSE(p.a.failure) << cut << ": " << p.a.failure.message();
        ASSERT_EQ(p.i.received, down) << "cut at " << cut;
        ASSERT_EQ(p.a.received, up) << "cut at " << cut;
        ++offsets;
    }
    EXPECT_GT(offsets, 3000u);
}

TEST(Resumption, ResumesTwiceInARow) {
    Pair p;
    const Bytes down = pattern(5000, 3);
    p.a.mux.send(p.a.stream, down);
    write(p.a);
    deliver(p.a, p.i, 1234);
    break_and_resume(p.i, p.a);
    break_and_resume(p.i, p.a);  // the second transport broke before a byte got through
    settle(p.i, p.a);
    EXPECT_EQ(p.i.received, down);
}

TEST(Resumption, AcknowledgedBytesAreDroppedAndCannotBeAskedForAgain) {
    Resumption r(Role::acceptor, {});
    r.enable(sample_ticket());
    const Bytes data = pattern(1000, 0);
    r.written(data, t0);
    ASSERT_FALSE(r.on_ack(600, t0));
    EXPECT_EQ(r.unacknowledged(), 400u);
    Bytes out;
    EXPECT_FALSE(r.replay(599, out, t0));  // stale: a peer that acknowledged 600 asks for less
    EXPECT_TRUE(out.empty());
    EXPECT_FALSE(r.replay(1001, out, t0));  // forged: more than was written
    ASSERT_TRUE(r.replay(700, out, t0));
    EXPECT_EQ(out, Bytes(data.begin() + 700, data.end()));
    EXPECT_EQ(r.on_ack(1001, t0), Errc::protocol_error);
    EXPECT_FALSE(r.on_ack(500, t0));  // stale ACK: ignored
}

TEST(Resumption, BytesBeforeTheTicketAreCountedNotKept) {
    Resumption r(Role::initiator, {});
    const Bytes data = pattern(300, 0);
    EXPECT_EQ(r.written(data, t0).data(), data.data());
    ASSERT_FALSE(r.take_ticket(sample_ticket()));
    const auto kept = r.written(std::span(data).first(100), t0);
    EXPECT_NE(kept.data(), data.data());
    EXPECT_EQ(r.written_total(), 400u);
    Bytes out;
    EXPECT_FALSE(r.replay(299, out, t0));
    ASSERT_TRUE(r.replay(300, out, t0));
    EXPECT_EQ(out, Bytes(data.begin(), data.begin() + 100));
}

TEST(Resumption, AcksEveryQuantumAndOnEachTick) {
    ResumptionLimits limits;
    limits.ack_every = 100;
    Resumption r(Role::initiator, limits);
    r.received(500);
    EXPECT_FALSE(r.ack_due(true));  // not resumable yet: no ACKs
    ASSERT_FALSE(r.take_ticket(sample_ticket()));
    EXPECT_EQ(r.ack_due(false), 500u);
    r.received(99);
    EXPECT_FALSE(r.ack_due(false));
    EXPECT_EQ(r.ack_due(true), 599u);
    EXPECT_FALSE(r.ack_due(true));
    r.received(100);
    EXPECT_EQ(r.ack_due(false), 699u);
}

TEST(Resumption, WriterWaitsBeyondTheBound) {
    ResumptionLimits limits;
    limits.max_unacknowledged = 1000;
    Resumption r(Role::acceptor, limits);
    EXPECT_TRUE(r.may_write());
    r.enable(sample_ticket());
    r.written(pattern(1000, 0), t0);
    EXPECT_TRUE(r.may_write());
    r.written(pattern(1, 0), t0);
    EXPECT_FALSE(r.may_write());
    ASSERT_FALSE(r.on_ack(1, t0));
    EXPECT_TRUE(r.may_write());
}

TEST(Resumption, PeerThatReceivedButDoesNotAcknowledgeIsOverdue) {
    ResumptionLimits limits;
    limits.ack_deadline = 20s;
    Resumption r(Role::acceptor, limits);
    r.enable(sample_ticket());
    r.written(pattern(500, 0), t0);
    r.peer_reached(500, t0 + 1s);  // a PONG shows the peer has them
    EXPECT_FALSE(r.ack_overdue(t0 + 20s));
    EXPECT_TRUE(r.ack_overdue(t0 + 21s));
    ASSERT_FALSE(r.on_ack(500, t0 + 21s));
    EXPECT_FALSE(r.ack_overdue(t0 + 100s));
}

TEST(Resumption, AckInTimeOrNothingOutstandingIsNotOverdue) {
    Resumption r(Role::acceptor, {});
    r.enable(sample_ticket());
    r.peer_reached(0, t0);  // nothing written: nothing owed
    EXPECT_FALSE(r.ack_overdue(t0 + 1h));
    r.written(pattern(10, 0), t0);
    r.peer_reached(10, t0);
    ASSERT_FALSE(r.on_ack(10, t0 + 5s));
    EXPECT_FALSE(r.ack_overdue(t0 + 1h));
}

TEST(Resumption, WriterBlockedWithoutAnyAckIsOverdue) {
    ResumptionLimits limits;
    limits.max_unacknowledged = 100;
    limits.ack_deadline = 20s;
    Resumption r(Role::acceptor, limits);
    r.enable(sample_ticket());
    r.written(pattern(102, 0), t0 + 5s);
    ASSERT_FALSE(r.may_write());
    EXPECT_FALSE(r.ack_overdue(t0 + 24s));
    ASSERT_FALSE(r.on_ack(1, t0 + 24s));  // progress, still blocked: the wait starts again
    ASSERT_FALSE(r.may_write());
    EXPECT_FALSE(r.ack_overdue(t0 + 43s));
    EXPECT_TRUE(r.ack_overdue(t0 + 44s));
}

}  // namespace
}  // namespace burrow::proto
