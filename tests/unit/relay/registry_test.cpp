#include "relay/registry.hpp"

#include <gtest/gtest.h>

namespace burrow::relay {
namespace {

constexpr auto kOne = static_cast<SessionId>(1);
constexpr auto kTwo = static_cast<SessionId>(2);

std::vector<std::string> names(const std::vector<proto::EndpointInfo>& list) {
    std::vector<std::string> out;
    for (const auto& e : list) out.push_back(e.name);
    return out;
}

TEST(Registry, ANameIsOnlineWithItsServicesSortedOnce) {
    Registry r;
    EXPECT_EQ(r.add("gpu", {"ssh", "jupyter", "ssh"}, kOne, "11.0.0.1", 100), std::nullopt);
    const auto* e = r.find("gpu");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->session, kOne);
    EXPECT_EQ(e->services, (std::vector<std::string>{"jupyter", "ssh"}));
    EXPECT_EQ(e->since, 100);
    EXPECT_EQ(e->address, "11.0.0.1");
    EXPECT_EQ(names(r.list()), (std::vector<std::string>{"gpu"}));
    EXPECT_EQ(r.find("nas"), nullptr);
}

TEST(Registry, RegisteringAgainFromTheSameSessionKeepsSinceAndCandidates) {
    Registry r;
    r.add("gpu", {"ssh"}, kOne, "11.0.0.1", 100);
    r.set_candidates(kOne, {"192.168.1.5:7444"});
    EXPECT_EQ(r.add("gpu", {"ssh", "jupyter"}, kOne, "11.0.0.1", 200), std::nullopt);
    EXPECT_EQ(r.find("gpu")->since, 100);
    EXPECT_EQ(r.find("gpu")->candidates, (std::vector<std::string>{"192.168.1.5:7444"}));
    EXPECT_EQ(r.find("gpu")->services.size(), 2u);
}

TEST(Registry, AnotherSessionTakesTheNameAndNamesTheOldOne) {
    Registry r;
    r.add("gpu", {"ssh"}, kOne, "11.0.0.1", 100);
    r.set_candidates(kOne, {"192.168.1.5:7444"});
    EXPECT_EQ(r.add("gpu", {"ssh"}, kTwo, "11.0.0.9", 300), kOne);
    EXPECT_EQ(r.find("gpu")->session, kTwo);
    EXPECT_EQ(r.find("gpu")->since, 300);
    EXPECT_TRUE(r.find("gpu")->candidates.empty());
    EXPECT_TRUE(r.remove_session(kOne).empty());  // the old session no longer holds it
    EXPECT_NE(r.find("gpu"), nullptr);
}

TEST(Registry, ASuspendedSessionsNamesTakeNoStreamsButAreKept) {
    Registry r;
    r.add("gpu", {"ssh"}, kOne, "11.0.0.1", 100);
    r.add("nas", {"smb"}, kTwo, "11.0.0.2", 100);
    r.set_suspended(kOne, true);
    EXPECT_EQ(r.find("gpu"), nullptr);
    EXPECT_TRUE(r.suspended("gpu"));
    EXPECT_FALSE(r.suspended("nas"));
    EXPECT_FALSE(r.suspended("nope"));
    EXPECT_EQ(names(r.list()), (std::vector<std::string>{"nas"}));
    EXPECT_EQ(r.entries().size(), 2u);
    r.set_suspended(kOne, false);
    r.set_address(kOne, "11.0.0.7");
    ASSERT_NE(r.find("gpu"), nullptr);
    EXPECT_EQ(r.find("gpu")->address, "11.0.0.7");
}

TEST(Registry, RemovingASessionDropsAllItsNames) {
    Registry r;
    r.add("gpu", {"ssh"}, kOne, "11.0.0.1", 100);
    r.add("gpu-2", {"ssh"}, kOne, "11.0.0.1", 100);
    r.add("nas", {"smb"}, kTwo, "11.0.0.2", 100);
    EXPECT_EQ(r.names_of(kOne), (std::vector<std::string>{"gpu", "gpu-2"}));
    EXPECT_EQ(r.remove_session(kOne), (std::vector<std::string>{"gpu", "gpu-2"}));
    EXPECT_EQ(names(r.list()), (std::vector<std::string>{"nas"}));
    EXPECT_TRUE(r.names_of(kOne).empty());
}

}  // namespace
}  // namespace burrow::relay
