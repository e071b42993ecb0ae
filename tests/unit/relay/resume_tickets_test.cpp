#include "relay/resume_tickets.hpp"

#include <gtest/gtest.h>

namespace burrow::relay {
namespace {

const crypto::PublicKey kAlice = crypto::Identity::generate().public_key();
const crypto::PublicKey kMallory = crypto::Identity::generate().public_key();
constexpr auto kOne = static_cast<SessionId>(1);
constexpr auto kTwo = static_cast<SessionId>(2);

TEST(ResumeTickets, AnIssuedTicketBringsItsSessionBackForItsKey) {
    ResumeTickets tickets;
    const auto t = tickets.issue(kOne, kAlice);
    EXPECT_EQ(tickets.redeem(t, kAlice), kOne);
    EXPECT_EQ(tickets.redeem(t, kAlice), kOne);  // until the session goes: a resume may fail and be tried again
}

TEST(ResumeTickets, TicketsAreRandomAndDistinct) {
    ResumeTickets tickets;
    const auto a = tickets.issue(kOne, kAlice);
    const auto b = tickets.issue(kTwo, kAlice);
    EXPECT_NE(a.id, b.id);
    EXPECT_NE(a.secret, b.secret);
    EXPECT_NE(a.secret, decltype(a.secret){});
    EXPECT_EQ(tickets.size(), 2u);
}

TEST(ResumeTickets, AnotherKeyCannotUseIt) {
    ResumeTickets tickets;
    const auto t = tickets.issue(kOne, kAlice);
    EXPECT_EQ(tickets.redeem(t, kMallory), std::nullopt);
}

TEST(ResumeTickets, EveryBitOfTheSecretCounts) {
    ResumeTickets tickets;
    const auto t = tickets.issue(kOne, kAlice);
    for (std::size_t bit = 0; bit < t.secret.size() * 8; ++bit) {
        auto forged = t;
        forged.secret[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        EXPECT_EQ(tickets.redeem(forged, kAlice), std::nullopt) << "bit " << bit;
    }
    auto other_id = t;
    other_id.id[0] ^= 1;
    EXPECT_EQ(tickets.redeem(other_id, kAlice), std::nullopt);
}

TEST(ResumeTickets, ANewTicketReplacesTheSessionsOldOne) {
    ResumeTickets tickets;
    const auto old = tickets.issue(kOne, kAlice);
    const auto fresh = tickets.issue(kOne, kAlice);
    EXPECT_EQ(tickets.redeem(old, kAlice), std::nullopt);
    EXPECT_EQ(tickets.redeem(fresh, kAlice), kOne);
    EXPECT_EQ(tickets.size(), 1u);
}

TEST(ResumeTickets, AForgottenSessionsTicketIsRefused) {
    ResumeTickets tickets;
    const auto one = tickets.issue(kOne, kAlice);
    const auto two = tickets.issue(kTwo, kAlice);
    tickets.forget(kOne);
    tickets.forget(kOne);
    EXPECT_EQ(tickets.redeem(one, kAlice), std::nullopt);
    EXPECT_EQ(tickets.redeem(two, kAlice), kTwo);
    EXPECT_EQ(tickets.size(), 1u);
}

}  // namespace
}  // namespace burrow::relay
