#include "relay/target_check.hpp"

#include <gtest/gtest.h>

namespace burrow::relay {
namespace {

using proto::TargetStatus;

struct TargetCheckTest : ::testing::Test {
    crypto::PublicKey gpu = crypto::Identity::generate().public_key();
    crypto::PublicKey nas = crypto::Identity::generate().public_key();
    crypto::PublicKey alice = crypto::Identity::generate().public_key();
    Policy policy{{{"gpu", gpu}, {"nas", nas}, {"secret", crypto::Identity::generate().public_key()}},
                  {{"alice", alice, {"gpu/ssh", "gpu/tensorboard", "nas/*"}, {}}}};
    std::vector<proto::EndpointInfo> online{{"gpu", {"jupyter", "ssh", "tensorboard"}}, {"secret", {"ssh"}}};

    proto::TargetCheck check(const std::string& target) {
        const auto reply = check_targets(policy, online, alice, {target}, 16384);
        EXPECT_EQ(reply.results.size(), 1u);
        return reply.results.at(0);
    }
};

TEST_F(TargetCheckTest, GrantedOnlineServiceIsOk) {
    EXPECT_EQ(check("gpu/ssh"), (proto::TargetCheck{TargetStatus::ok, {}}));
}

TEST_F(TargetCheckTest, MissingServiceListsOnlyTheServicesTheClientMayOpen) {
    policy = Policy({{"gpu", gpu}}, {{"alice", alice, {"gpu/*"}, {}}});
    EXPECT_EQ(check("gpu/nope"), (proto::TargetCheck{TargetStatus::no_service, {"jupyter", "ssh", "tensorboard"}}));
    policy = Policy({{"gpu", gpu}}, {{"alice", alice, {"gpu/ssh", "gpu/n*"}, {}}});
    EXPECT_EQ(check("gpu/nope"), (proto::TargetCheck{TargetStatus::no_service, {"ssh"}}));
}

TEST_F(TargetCheckTest, UngrantedServiceOfAVisibleEndpointIsNamedAsSuch) {
    EXPECT_EQ(check("gpu/jupyter"), (proto::TargetCheck{TargetStatus::not_granted, {}}));
}

TEST_F(TargetCheckTest, EndpointTheClientMayNotOpenLooksAbsentAndIsNotListed) {
    EXPECT_EQ(check("secret/ssh"), (proto::TargetCheck{TargetStatus::no_endpoint, {"gpu"}}));
    EXPECT_EQ(check("localhost/8888"), (proto::TargetCheck{TargetStatus::no_endpoint, {"gpu"}}));
}

TEST_F(TargetCheckTest, GrantedEndpointThatIsNotOnlineIsOffline) {
    EXPECT_EQ(check("nas/smb"), (proto::TargetCheck{TargetStatus::offline, {}}));
}

TEST_F(TargetCheckTest, GrantedNameNoKeyOwnsIsAbsent) {
    policy = Policy({{"gpu", gpu}}, {{"alice", alice, {"*/ssh"}, {}}});
    online.pop_back();
    EXPECT_EQ(check("ghost/ssh"), (proto::TargetCheck{TargetStatus::no_endpoint, {"gpu"}}));
}

TEST_F(TargetCheckTest, AnswersInRequestOrder) {
    const auto reply = check_targets(policy, online, alice, {"nas/x", "gpu/ssh", "gpu/jupyter"}, 16384);
    ASSERT_EQ(reply.results.size(), 3u);
    EXPECT_EQ(reply.results[0].status, TargetStatus::offline);
    EXPECT_EQ(reply.results[1].status, TargetStatus::ok);
    EXPECT_EQ(reply.results[2].status, TargetStatus::not_granted);
}

TEST_F(TargetCheckTest, ReplyIsCutToFitTheFrame) {
    std::vector<std::string> services;
    for (int i = 0; i < 64; ++i) services.push_back(std::string(60, 'a') + std::to_string(i));
    online = {{"gpu", services}};
    policy = Policy({{"gpu", gpu}}, {{"alice", alice, {"gpu/*"}, {}}});
    const std::vector<std::string> targets(64, "gpu/nope");
    const auto reply = check_targets(policy, online, alice, targets, 4096);
    EXPECT_LE(proto::encode_control(reply).size(), 4096u);
    ASSERT_EQ(reply.results.size(), 64u);
    EXPECT_EQ(reply.results[0].status, TargetStatus::no_service);
}

TEST_F(TargetCheckTest, VisibleEndpointsDropWhatTheClientMayNotOpen) {
    const auto visible = visible_endpoints(policy, online, alice);
    ASSERT_EQ(visible.size(), 1u);
    EXPECT_EQ(visible[0], (proto::EndpointInfo{"gpu", {"ssh", "tensorboard"}}));
}

}  // namespace
}  // namespace burrow::relay

namespace burrow::relay {
namespace {

TEST(EndpointDetails, OnlineAndOfflineEndpointsTheClientMaySee) {
    const auto gpu = crypto::Identity::generate().public_key();
    const auto nas = crypto::Identity::generate().public_key();
    const auto hidden = crypto::Identity::generate().public_key();
    const auto alice = crypto::Identity::generate().public_key();
    const Policy policy({{"gpu", gpu}, {"nas", nas}, {"hidden", hidden}}, {{"alice", alice, {"gpu/*", "nas/ssh"}, {}}});
    WakeBook book;
    book.report("gpu", {{{2, 0, 0, 0, 0, 1}, {192, 168, 77, 10}, 24}}, "11.77.0.2", 1000);
    book.report("nas", {{{2, 0, 0, 0, 0, 2}, {192, 168, 77, 20}, 24}}, "11.77.0.2", 2000);
    book.seen("gpu", 1500);
    const std::vector<OnlineEndpoint> online{{{"nas", {"smb", "ssh"}}, 2000, "11.77.0.2", {"11.77.0.2:40001"}},
                                             {{"hidden", {"ssh"}}, 3000, "198.51.100.7", {"198.51.100.7:7444"}}};
    const auto reply = endpoint_details(policy, online, book, alice, 16384);
    ASSERT_EQ(reply.endpoints.size(), 2u);
    EXPECT_EQ(reply.endpoints[0], (proto::EndpointDetails{"gpu", false, 1500, "11.77.0.2", {}, {"nas"}, {}}));
    EXPECT_EQ(reply.endpoints[1],
              (proto::EndpointDetails{"nas", true, 2000, "11.77.0.2", {"ssh"}, {}, {"11.77.0.2:40001"}}));
    EXPECT_TRUE(endpoint_details(policy, online, book, alice, 20).endpoints.empty());
}

TEST(DirectAnswer, KeyAndCandidatesOnlyForAClientThatMayOpenTheOnlineEndpoint) {
    const auto gpu = crypto::Identity::generate().public_key();
    const auto alice = crypto::Identity::generate().public_key();
    const auto bob = crypto::Identity::generate().public_key();
    const Policy policy({{"gpu", gpu}}, {{"alice", alice, {"gpu/ssh"}, {}}, {"bob", bob, {"nas/*"}, {}}});
    const OnlineEndpoint online{{"gpu", {"ssh"}}, 1000, "11.77.0.2", {"11.77.0.2:40001"}};
    const auto answer = direct_answer(policy, "gpu", &online, alice);
    const auto* reply = std::get_if<proto::DirectReply>(&answer);
    ASSERT_NE(reply, nullptr);
    EXPECT_EQ(reply->endpoint, "gpu");
    EXPECT_EQ(reply->key, gpu.bytes);
    EXPECT_EQ(reply->candidates, std::vector<std::string>{"11.77.0.2:40001"});
    // Not granted, offline and unknown all get the same answer.
    const auto refused = direct_answer(policy, "gpu", &online, bob);
    const auto offline = direct_answer(policy, "gpu", nullptr, alice);
    const auto unknown = direct_answer(policy, "nope", nullptr, alice);
    ASSERT_TRUE(std::holds_alternative<proto::ControlError>(refused));
    EXPECT_EQ(std::get<proto::ControlError>(refused).code, proto::Errc::unknown_endpoint);
    EXPECT_EQ(std::get<proto::ControlError>(offline).code, proto::Errc::unknown_endpoint);
    EXPECT_EQ(std::get<proto::ControlError>(unknown).code, proto::Errc::unknown_endpoint);
}

}  // namespace
}  // namespace burrow::relay
