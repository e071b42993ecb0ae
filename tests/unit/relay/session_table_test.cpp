#include "relay/session_table.hpp"

#include <gtest/gtest.h>

namespace burrow::relay {
namespace {

const crypto::PublicKey kAlice = crypto::Identity::generate().public_key();
const crypto::PublicKey kBob = crypto::Identity::generate().public_key();

TEST(SessionTable, IdsAreNewForEverySessionAndNeverNone) {
    SessionTable table;
    const auto a = table.add({}, kAlice, 10);
    const auto b = table.add({}, kAlice, 11);
    table.erase(a);
    const auto c = table.add({}, kAlice, 12);
    EXPECT_NE(a, SessionId::none);
    EXPECT_NE(a, b);
    EXPECT_NE(c, a);
    EXPECT_NE(c, b);
    EXPECT_EQ(table.size(), 2u);
}

TEST(SessionTable, FindsWhatWasAddedUntilErased) {
    SessionTable table;
    const auto id = table.add({}, kBob, 42);
    ASSERT_NE(table.find(id), nullptr);
    EXPECT_EQ(table.find(id)->key, kBob);
    EXPECT_EQ(table.find(id)->since, 42);
    ASSERT_NE(table.find(id)->traffic, nullptr);
    EXPECT_EQ(table.session(id), nullptr);  // nothing holds it
    table.erase(id);
    EXPECT_EQ(table.find(id), nullptr);
    table.erase(id);  // twice is harmless
    EXPECT_EQ(table.find(SessionId::none), nullptr);
}

TEST(SessionTable, SessionsOfAKeyOldestFirst) {
    SessionTable table;
    const auto a1 = table.add({}, kAlice, 1);
    table.add({}, kBob, 2);
    const auto a2 = table.add({}, kAlice, 3);
    EXPECT_EQ(table.of_key(kAlice), (std::vector<SessionId>{a1, a2}));
    EXPECT_TRUE(table.of_key(crypto::Identity::generate().public_key()).empty());
}

TEST(SessionTable, ASuspendedSessionIsKeptUntilItResumesOrGoes) {
    SessionTable table;
    const auto a = table.add({}, kAlice, 1);
    const auto b = table.add({}, kBob, 2);
    EXPECT_TRUE(table.suspended_ids().empty());
    const std::shared_ptr<io::Session> held;  // the table only holds it
    table.suspended(b, held);
    EXPECT_EQ(table.suspended_ids(), (std::vector<SessionId>{b}));
    table.resumed(b);
    EXPECT_TRUE(table.suspended_ids().empty());
    table.suspended(a, held);
    table.erase(a);
    EXPECT_TRUE(table.suspended_ids().empty());
    table.suspended(a, held);  // gone already: nothing to keep
    EXPECT_TRUE(table.suspended_ids().empty());
}

}  // namespace
}  // namespace burrow::relay
