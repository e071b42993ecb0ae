#include "relay/control_handler.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace burrow::relay {
namespace {

constexpr auto kGpuSession = static_cast<SessionId>(1);
constexpr auto kNasSession = static_cast<SessionId>(2);
constexpr auto kAliceSession = static_cast<SessionId>(3);

struct ControlHandlerTest : ::testing::Test {
    crypto::PublicKey gpu = crypto::Identity::generate().public_key();
    crypto::PublicKey nas = crypto::Identity::generate().public_key();
    crypto::PublicKey alice = crypto::Identity::generate().public_key();
    crypto::PublicKey eve = crypto::Identity::generate().public_key();
    Policy policy{{{"gpu", gpu}, {"nas", nas}},
                  {{"alice", alice, {"gpu/*", "nas/smb"}, {}}, {"eve", eve, {"nas/smb"}, {}}}};
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("burrow-control-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                 "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    Registry registry;
    WakeBook book{(dir / "relay.state").string()};
    RelayCounters counters;
    ControlHandler handler{policy, registry, book, counters};

    void SetUp() override { std::filesystem::create_directories(dir); }
    void TearDown() override { std::filesystem::remove_all(dir); }

    ControlOutcome send(SessionId session, const crypto::PublicKey& key, proto::ControlMessage message,
                        std::int64_t now = 1000) {
        return handler.handle(ControlSender{session, key, "203.0.113.7", 16384}, std::move(message), now);
    }
    void register_both() {
        send(kGpuSession, gpu, proto::Register{"gpu", {"ssh", "jupyter"}});
        send(kNasSession, nas, proto::Register{"nas", {"smb"}});
    }
    std::uint64_t refused(Refusal r) const { return counters.refusals[static_cast<std::size_t>(r)]; }
};

template <typename T>
T reply_as(const ControlOutcome& out) {
    if (!out.reply || !std::holds_alternative<T>(*out.reply)) {
        ADD_FAILURE() << "not the reply expected";
        return T{};
    }
    return std::get<T>(*out.reply);
}

TEST_F(ControlHandlerTest, RegisterPutsTheNameOnlineAndSaysSo) {
    const auto out = send(kGpuSession, gpu, proto::Register{"gpu", {"ssh"}}, 500);
    EXPECT_EQ(reply_as<proto::Registered>(out).name, "gpu");
    EXPECT_EQ(out.online, "gpu");
    EXPECT_EQ(out.replaced, std::nullopt);
    ASSERT_NE(registry.find("gpu"), nullptr);
    EXPECT_EQ(registry.find("gpu")->session, kGpuSession);
    EXPECT_EQ(registry.find("gpu")->address, "203.0.113.7");
    EXPECT_EQ(registry.find("gpu")->since, 500);
}

TEST_F(ControlHandlerTest, RegisterUnderAnotherKeysNameIsRefusedAndCounted) {
    const auto out = send(kNasSession, nas, proto::Register{"gpu", {"ssh"}});
    const auto error = reply_as<proto::ControlError>(out);
    EXPECT_EQ(error.code, proto::Errc::not_authorized);
    EXPECT_NE(error.reason.find("may not register as 'gpu'"), std::string::npos);
    EXPECT_TRUE(out.online.empty());
    EXPECT_EQ(registry.find("gpu"), nullptr);
    EXPECT_EQ(refused(Refusal::register_denied), 1u);
}

TEST_F(ControlHandlerTest, ANewSessionOfTheSameEndpointReplacesTheOld) {
    send(kGpuSession, gpu, proto::Register{"gpu", {"ssh"}});
    const auto later = static_cast<SessionId>(9);
    const auto out = send(later, gpu, proto::Register{"gpu", {"ssh"}});
    EXPECT_EQ(out.replaced, kGpuSession);
    EXPECT_EQ(registry.find("gpu")->session, later);
}

TEST_F(ControlHandlerTest, ListShowsOnlyWhatTheClientMayOpen) {
    register_both();
    const auto list = reply_as<proto::ListReply>(send(kAliceSession, eve, proto::ListRequest{}));
    ASSERT_EQ(list.endpoints.size(), 1u);
    EXPECT_EQ(list.endpoints[0].name, "nas");
    const auto all = reply_as<proto::ListReply>(send(kAliceSession, alice, proto::ListRequest{}));
    EXPECT_EQ(all.endpoints.size(), 2u);
}

TEST_F(ControlHandlerTest, ListIsCutToOneFrame) {
    std::vector<EndpointGrant> endpoints;
    std::vector<std::string> allowed;
    for (int i = 0; i < 50; ++i) {
        const auto name = "gpu" + std::to_string(i);
        endpoints.push_back({name, crypto::Identity::generate().public_key()});
        allowed.push_back(name + "/*");
        registry.add(name, {std::string(200, 's')}, static_cast<SessionId>(100 + i), "a", 1);
    }
    policy = Policy(endpoints, {{"alice", alice, allowed, {}}});
    const auto out = handler.handle(ControlSender{kAliceSession, alice, "a", 2048}, proto::ListRequest{}, 1);
    const auto list = reply_as<proto::ListReply>(out);
    EXPECT_GT(list.endpoints.size(), 0u);
    EXPECT_LT(list.endpoints.size(), 50u);
    EXPECT_LE(proto::encode_control(list).size(), 2048u);
}

TEST_F(ControlHandlerTest, CheckAnswersEachTarget) {
    register_both();
    const auto reply =
        reply_as<proto::CheckReply>(send(kAliceSession, alice, proto::CheckRequest{{"gpu/ssh", "gpu/nope"}}));
    ASSERT_EQ(reply.results.size(), 2u);
    EXPECT_EQ(reply.results[0].status, proto::TargetStatus::ok);
    EXPECT_EQ(reply.results[1].status, proto::TargetStatus::no_service);
}

TEST_F(ControlHandlerTest, DirectInfoIsRecordedAndDirectRequestAnswersWithIt) {
    register_both();
    const auto info = send(kGpuSession, gpu, proto::DirectInfo{{"192.168.1.5:7444"}});
    EXPECT_FALSE(info.reply.has_value());
    EXPECT_EQ(registry.find("gpu")->candidates, (std::vector<std::string>{"192.168.1.5:7444"}));
    const auto answer = reply_as<proto::DirectReply>(send(kAliceSession, alice, proto::DirectRequest{"gpu"}));
    EXPECT_EQ(answer.candidates, (std::vector<std::string>{"192.168.1.5:7444"}));
    // eve may not open anything on gpu: the answer is the one for an endpoint that is not online
    const auto denied = reply_as<proto::ControlError>(send(kAliceSession, eve, proto::DirectRequest{"gpu"}));
    registry.remove_session(kGpuSession);
    const auto offline = reply_as<proto::ControlError>(send(kAliceSession, alice, proto::DirectRequest{"gpu"}));
    EXPECT_EQ(denied, offline);
    EXPECT_EQ(denied.code, proto::Errc::unknown_endpoint);
}

TEST_F(ControlHandlerTest, WakeNotGrantedIsRefusedAndCounted) {
    register_both();
    const auto out = send(kAliceSession, eve, proto::WakeRequest{"gpu"});
    EXPECT_EQ(reply_as<proto::ControlError>(out).code, proto::Errc::not_authorized);
    EXPECT_EQ(out.wake_via, std::nullopt);
    EXPECT_EQ(refused(Refusal::wake_denied), 1u);
}

TEST_F(ControlHandlerTest, WakeGoesThroughAnEndpointOnTheSameLan) {
    register_both();
    const proto::LanInterface gpu_lan{{2, 0, 0, 0, 0, 0x10}, {192, 168, 77, 10}, 24};
    const proto::LanInterface nas_lan{{2, 0, 0, 0, 0, 0x20}, {192, 168, 77, 20}, 24};
    send(kGpuSession, gpu, proto::LanInfo{{gpu_lan}});
    send(kNasSession, nas, proto::LanInfo{{nas_lan}});
    registry.remove_session(kGpuSession);  // gpu went to sleep
    const auto out = send(kAliceSession, alice, proto::WakeRequest{"gpu"});
    const auto sent = reply_as<proto::WakeSent>(out);
    EXPECT_EQ(sent.via, "nas");
    EXPECT_EQ(sent.mac, gpu_lan.mac);
    EXPECT_EQ(out.wake_via, kNasSession);
    EXPECT_EQ(out.wake_order.mac, gpu_lan.mac);
}

TEST_F(ControlHandlerTest, WakeWithNoOneToSendItSaysWhy) {
    const auto out = send(kAliceSession, alice, proto::WakeRequest{"gpu"});
    EXPECT_EQ(reply_as<proto::ControlError>(out).code, proto::Errc::unknown_endpoint);
    EXPECT_EQ(out.wake_via, std::nullopt);
}

TEST_F(ControlHandlerTest, DetailsListsTheClientsEndpoints) {
    register_both();
    const auto details = reply_as<proto::DetailsReply>(send(kAliceSession, eve, proto::DetailsRequest{}));
    ASSERT_EQ(details.endpoints.size(), 1u);
    EXPECT_EQ(details.endpoints[0].name, "nas");
}

TEST_F(ControlHandlerTest, AReplyMessageSentToTheRelayIsAProtocolError) {
    const auto out = send(kAliceSession, alice, proto::Registered{"gpu"});
    EXPECT_EQ(reply_as<proto::ControlError>(out).code, proto::Errc::protocol_error);
}

TEST_F(ControlHandlerTest, OnlineNamesAddressSinceAndCandidates) {
    register_both();
    send(kGpuSession, gpu, proto::DirectInfo{{"10.0.0.5:7444"}});
    const auto online = handler.online();
    ASSERT_EQ(online.size(), 2u);
    EXPECT_EQ(online[0].info.name, "gpu");
    EXPECT_EQ(online[0].address, "203.0.113.7");
    EXPECT_EQ(online[0].since, 1000);
    EXPECT_EQ(online[0].candidates, (std::vector<std::string>{"10.0.0.5:7444"}));
}

}  // namespace
}  // namespace burrow::relay
