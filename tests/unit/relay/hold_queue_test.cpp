#include "relay/hold_queue.hpp"

#include <gtest/gtest.h>

namespace burrow::relay {
namespace {

using namespace std::chrono_literals;
const crypto::PublicKey kAlice = crypto::Identity::generate().public_key();
constexpr auto kClient = static_cast<SessionId>(7);
const HoldQueue::Clock::time_point kT0{};

std::vector<proto::StreamId> ids(const std::vector<HeldStream>& held) {
    std::vector<proto::StreamId> out;
    for (const auto& h : held) out.push_back(h.id);
    return out;
}

TEST(HoldQueue, TheFirstHeldStreamAsksForATimer) {
    HoldQueue q(10s);
    EXPECT_EQ(q.next_expiry(), std::nullopt);
    EXPECT_TRUE(q.hold(kClient, kAlice, 1, "gpu/ssh", "gpu", kT0));
    EXPECT_FALSE(q.hold(kClient, kAlice, 3, "gpu/ssh", "gpu", kT0 + 1s));
    EXPECT_EQ(q.next_expiry(), kT0 + 10s);
    EXPECT_EQ(q.size(), 2u);
}

TEST(HoldQueue, ReleaseTakesOnlyThatEndpointsStreamsOldestFirst) {
    HoldQueue q(10s);
    q.hold(kClient, kAlice, 1, "gpu/ssh", "gpu", kT0);
    q.hold(kClient, kAlice, 3, "nas/smb", "nas", kT0 + 1s);
    q.hold(kClient, kAlice, 5, "gpu/jupyter", "gpu", kT0 + 2s);
    const auto released = q.release("gpu");
    EXPECT_EQ(ids(released), (std::vector<proto::StreamId>{1, 5}));
    EXPECT_EQ(released[1].target, "gpu/jupyter");
    EXPECT_EQ(released[1].from, kClient);
    EXPECT_EQ(released[1].client, kAlice);
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(q.next_expiry(), kT0 + 11s);
    EXPECT_TRUE(q.release("gpu").empty());
}

TEST(HoldQueue, ExpireTakesThoseWhoseWaitIsOver) {
    HoldQueue q(10s);
    q.hold(kClient, kAlice, 1, "gpu/ssh", "gpu", kT0);
    q.hold(kClient, kAlice, 3, "gpu/ssh", "gpu", kT0 + 4s);
    EXPECT_TRUE(q.expire(kT0 + 9s).empty());
    EXPECT_EQ(ids(q.expire(kT0 + 10s)), (std::vector<proto::StreamId>{1}));
    EXPECT_EQ(q.next_expiry(), kT0 + 14s);
    EXPECT_EQ(ids(q.expire(kT0 + 60s)), (std::vector<proto::StreamId>{3}));
    EXPECT_EQ(q.next_expiry(), std::nullopt);
    EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace burrow::relay
