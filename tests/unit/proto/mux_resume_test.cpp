// ACK frames and resume tickets: the mux carries them for the session layer.
#include <gtest/gtest.h>

#include "proto/mux.hpp"

namespace burrow::proto {
namespace {

void trade(Mux& a, Mux& b) {
    for (bool moved = true; moved;) {
        moved = false;
        for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
            const auto out = from->pending_output();
            if (out.empty()) continue;
            ASSERT_FALSE(to->receive(out));
            from->consume_output(out.size());
            moved = true;
        }
    }
}

template <class T>
std::vector<T> drain(Mux& m) {
    std::vector<T> found;
    while (auto e = m.poll_event())
        if (auto* x = std::get_if<T>(&*e)) found.push_back(*x);
    return found;
}

TEST(MuxResume, AckCarriesTheReceivedTotal) {
    Mux client(Role::initiator), relay(Role::acceptor);
    trade(client, relay);
    client.ack(0x0102030405060708ull);
    trade(client, relay);
    const auto acks = drain<AckReceived>(relay);
    ASSERT_EQ(acks.size(), 1u);
    EXPECT_EQ(acks[0].total, 0x0102030405060708ull);
}

TEST(MuxResume, MalformedAckIsFatal) {
    Mux relay(Role::acceptor);
    Mux client(Role::initiator);
    const auto hello = client.pending_output();
    ASSERT_FALSE(relay.receive(hello));
    const std::uint8_t short_ack[] = {10, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4};
    EXPECT_EQ(relay.receive(short_ack), Errc::malformed_frame);
    EXPECT_TRUE(relay.failed());
}

TEST(MuxResume, AckOnAStreamIsFatal) {
    Mux relay(Role::acceptor);
    Mux client(Role::initiator);
    ASSERT_FALSE(relay.receive(client.pending_output()));
    const std::uint8_t ack_on_stream[] = {10, 0, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1};
    EXPECT_EQ(relay.receive(ack_on_stream), Errc::bad_stream_id);
}

TEST(MuxResume, ResumeTicketRoundTripsAsAControlMessage) {
    Mux client(Role::initiator), relay(Role::acceptor);
    trade(client, relay);
    ResumeTicket ticket;
    for (std::size_t i = 0; i < ticket.id.size(); ++i) ticket.id[i] = static_cast<std::uint8_t>(i);
    for (std::size_t i = 0; i < ticket.secret.size(); ++i) ticket.secret[i] = static_cast<std::uint8_t>(0xa0 + i);
    relay.send_control(ticket);
    trade(client, relay);
    const auto got = drain<ControlReceived>(client);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(std::get<ResumeTicket>(got[0].message), ticket);
}

TEST(MuxResume, ResumeTicketSentToTheAcceptorIsFatal) {
    Mux client(Role::initiator), relay(Role::acceptor);
    trade(client, relay);
    client.send_control(ResumeTicket{});
    const auto out = client.pending_output();
    EXPECT_EQ(relay.receive(out), Errc::protocol_error);
    EXPECT_TRUE(relay.failed());
    EXPECT_TRUE(drain<ControlReceived>(relay).empty());
}

TEST(MuxResume, TruncatedResumeTicketIsMalformed) {
    ResumeTicket ticket;
    auto bytes = encode_control(ticket);
    bytes.pop_back();
    ControlMessage out;
    EXPECT_EQ(decode_control(bytes, out), Errc::malformed_frame);
}

}  // namespace
}  // namespace burrow::proto
