#include "relay/admission.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace burrow::relay {
namespace {

using namespace std::chrono_literals;
using Clock = Admission::Clock;

const Clock::time_point t0 = Clock::time_point{} + 1000h;

AdmissionLimits limits(std::size_t max, std::size_t per_source, std::size_t reserved) {
    AdmissionLimits l;
    l.max_pending = max;
    l.max_pending_per_source = per_source;
    l.reserved_for_known = reserved;
    return l;
}

std::string v4(int i) { return "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256); }

TEST(Admission, AdmitsUntilFullThenEvictsTheOldestInsteadOfRefusing) {
    Admission a(limits(4, 4, 0));
    std::vector<Admission::Id> ids;
    for (int i = 0; i < 4; ++i) {
        const auto e = a.admit(v4(i), t0);
        ASSERT_NE(e.id, 0u);
        EXPECT_TRUE(e.evicted.empty());
        ids.push_back(e.id);
    }
    const auto fifth = a.admit(v4(9), t0);
    ASSERT_NE(fifth.id, 0u);
    EXPECT_EQ(fifth.evicted, std::vector<Admission::Id>{ids[0]});
    EXPECT_EQ(a.pending(), 4u);
    a.finished(ids[0]);  // already gone: no-op
    EXPECT_EQ(a.pending(), 4u);
    a.finished(ids[1]);
    EXPECT_EQ(a.pending(), 3u);
    EXPECT_TRUE(a.admit(v4(10), t0).evicted.empty());
}

TEST(Admission, OneSourceOnlyEvictsItsOwnOldest) {
    Admission a(limits(100, 3, 0));
    const auto other = a.admit("192.0.2.1", t0).id;
    std::vector<Admission::Id> mine;
    for (int i = 0; i < 3; ++i) mine.push_back(a.admit("198.51.100.7", t0).id);
    const auto e = a.admit("198.51.100.7", t0);
    EXPECT_EQ(e.evicted, std::vector<Admission::Id>{mine[0]});
    EXPECT_EQ(a.pending_from("198.51.100.7"), 3u);
    EXPECT_EQ(a.pending_from("192.0.2.1"), 1u);
    a.finished(other);
    EXPECT_EQ(a.pending_from("192.0.2.1"), 0u);
}

TEST(Admission, Ipv6CountsPerSlash64) {
    Admission a(limits(100, 2, 0));
    const auto first = a.admit("2001:db8:1:2::1", t0).id;
    a.admit("2001:db8:1:2::2", t0);
    const auto e = a.admit("2001:db8:1:2:ffff:ffff:ffff:ffff", t0);  // same /64, third address
    EXPECT_EQ(e.evicted, std::vector<Admission::Id>{first});
    EXPECT_TRUE(a.admit("2001:db8:1:3::1", t0).evicted.empty());  // the next /64 is another source
    EXPECT_EQ(a.pending_from("2001:db8:1:2::77"), 2u);
}

TEST(Admission, StrangersCannotTakeTheReservedShare) {
    Admission a(limits(10, 100, 4));
    a.seen("192.0.2.50", t0);
    std::vector<Admission::Id> strangers;
    for (int i = 0; i < 6; ++i) strangers.push_back(a.admit(v4(i), t0).id);
    EXPECT_EQ(a.pending_strangers(), 6u);
    // A seventh stranger pushes out the oldest stranger: six is their share.
    const auto seventh = a.admit(v4(6), t0);
    EXPECT_FALSE(seventh.known);
    EXPECT_EQ(seventh.evicted, std::vector<Admission::Id>{strangers[0]});
    // The known source gets the four kept for it without evicting anyone.
    for (int i = 0; i < 4; ++i) {
        const auto known = a.admit("192.0.2.50", t0 + 1s);
        EXPECT_TRUE(known.known);
        EXPECT_TRUE(known.evicted.empty());
    }
    EXPECT_EQ(a.pending(), 10u);
    // Full: a fifth known one evicts the oldest stranger, not a known one.
    const auto fifth = a.admit("192.0.2.50", t0 + 2s);
    EXPECT_EQ(fifth.evicted, std::vector<Admission::Id>{strangers[1]});
}

TEST(Admission, AFloodFromManySourcesLeavesAKnownSourceRoom) {
    Admission a(limits(512, 32, 128));
    a.seen("127.0.0.1", t0);
    std::set<Admission::Id> live;
    for (int i = 0; i < 40 * 32 * 3; ++i) {
        const auto e = a.admit("127.0.1." + std::to_string(i % 40), t0);
        live.insert(e.id);
        for (auto id : e.evicted) live.erase(id);
    }
    EXPECT_EQ(a.pending(), 384u);
    EXPECT_EQ(a.pending_strangers(), 384u);
    const auto known = a.admit("127.0.0.1", t0 + 5s);
    EXPECT_TRUE(known.known);
    EXPECT_TRUE(known.evicted.empty());
}

TEST(Admission, AKnownSourceIsForgottenAfterItsTime) {
    AdmissionLimits l;
    l.known_for = 60s;
    Admission a(l);
    EXPECT_FALSE(a.known("192.0.2.1", t0));
    a.seen("192.0.2.1", t0);
    EXPECT_TRUE(a.known("192.0.2.1", t0 + 60s));
    EXPECT_TRUE(a.known("::ffff:192.0.2.1", t0 + 1s));
    EXPECT_FALSE(a.known("192.0.2.1", t0 + 61s));
    a.seen("192.0.2.1", t0 + 100s);  // seen again: known again
    EXPECT_TRUE(a.known("192.0.2.1", t0 + 150s));
}

TEST(Admission, TheKnownListIsBounded) {
    AdmissionLimits l;
    l.max_known_sources = 3;
    Admission a(l);
    for (int i = 0; i < 4; ++i) a.seen(v4(i), t0 + std::chrono::seconds(i));
    EXPECT_FALSE(a.known(v4(0), t0 + 5s));  // the stalest went
    for (int i = 1; i < 4; ++i) EXPECT_TRUE(a.known(v4(i), t0 + 5s));
}

TEST(Admission, AZeroLimitAdmitsNoOne) {
    Admission a(limits(0, 32, 0));
    EXPECT_EQ(a.admit("192.0.2.1", t0).id, 0u);
    Admission b(limits(8, 0, 0));
    EXPECT_EQ(b.admit("192.0.2.1", t0).id, 0u);
    Admission c(limits(8, 8, 8));  // every slot kept for known sources
    EXPECT_EQ(c.admit("192.0.2.1", t0).id, 0u);
    c.seen("192.0.2.1", t0);
    EXPECT_NE(c.admit("192.0.2.1", t0).id, 0u);
    EXPECT_EQ(c.pending(), 1u);
}

TEST(Admission, LoweredLimitsEvictDownToThemOnTheNextAdmit) {
    Admission a(limits(10, 10, 0));
    for (int i = 0; i < 10; ++i) a.admit(v4(i), t0);
    a.set_limits(limits(4, 10, 0));
    const auto e = a.admit(v4(99), t0);
    EXPECT_EQ(e.evicted.size(), 7u);
    EXPECT_EQ(a.pending(), 4u);
}

}  // namespace
}  // namespace burrow::relay
