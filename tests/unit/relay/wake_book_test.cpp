#include "relay/wake_book.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace burrow::relay {
namespace {

proto::LanInterface lan(std::uint8_t last_mac, std::array<std::uint8_t, 4> address, std::uint8_t prefix) {
    return {{2, 0, 0, 0, 0, last_mac}, address, prefix};
}

const proto::LanInterface kGpu = lan(0x10, {192, 168, 77, 10}, 24);
const proto::LanInterface kNas = lan(0x20, {192, 168, 77, 20}, 24);
const proto::LanInterface kElsewhere = lan(0x30, {192, 168, 77, 30}, 24);  // same numbers, another site

struct WakeBookTest : ::testing::Test {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("burrow-wake-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                 "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    void SetUp() override { std::filesystem::create_directories(dir); }
    void TearDown() override { std::filesystem::remove_all(dir); }
    std::string state() const { return (dir / "relay.state").string(); }
};

WakeBook::Plan plan_of(const std::variant<WakeBook::Plan, std::string>& result) {
    if (const auto* why = std::get_if<std::string>(&result)) ADD_FAILURE() << *why;
    return std::get<WakeBook::Plan>(result);
}

TEST_F(WakeBookTest, APeerOnTheSameSubnetAndPublicAddressSendsToItsBroadcast) {
    WakeBook book(state());
    book.report("gpu", {kGpu}, "11.77.0.2", 100);
    book.report("nas", {kNas}, "11.77.0.2", 100);
    book.report("far", {kElsewhere}, "203.0.113.5", 100);
    const auto plan = plan_of(book.plan("gpu", {"far", "nas"}));
    EXPECT_EQ(plan.via, "nas");
    EXPECT_EQ(plan.order.mac, kGpu.mac);
    EXPECT_EQ(plan.order.broadcast, (std::array<std::uint8_t, 4>{192, 168, 77, 255}));
    EXPECT_EQ(plan.order.port, 9);
}

TEST_F(WakeBookTest, TheSameSubnetNumbersBehindAnotherPublicAddressDoNotCount) {
    WakeBook book(state());
    book.report("gpu", {kGpu}, "11.77.0.2", 100);
    book.report("far", {kElsewhere}, "203.0.113.5", 100);
    const auto result = book.plan("gpu", {"far"});
    ASSERT_TRUE(std::holds_alternative<std::string>(result));
    EXPECT_NE(std::get<std::string>(result).find("no online endpoint on endpoint 'gpu''s LAN can wake it (192.168.77.0/24)"),
              std::string::npos)
        << std::get<std::string>(result);
}

TEST_F(WakeBookTest, ViaInTheConfigIsUsedWhateverItsLanAndMacFromConfigWins) {
    WakeBook book(state());
    book.report("far", {kElsewhere}, "203.0.113.5", 100);
    book.configure({{"gpu", WakeConfig{proto::MacAddress{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}, {"far"}}}});
    const auto plan = plan_of(book.plan("gpu", {"far"}));
    EXPECT_EQ(plan.via, "far");
    EXPECT_EQ(plan.order.mac, (std::array<std::uint8_t, 6>{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}));
    EXPECT_EQ(plan.order.broadcast, (std::array<std::uint8_t, 4>{192, 168, 77, 255}));
}

TEST_F(WakeBookTest, UnknownEndpointAndNoPeerAreSaidPlainly) {
    WakeBook book(state());
    const auto unknown = book.plan("gpu", {});
    ASSERT_TRUE(std::holds_alternative<std::string>(unknown));
    EXPECT_NE(std::get<std::string>(unknown).find("does not know endpoint 'gpu'"), std::string::npos);
    book.report("gpu", {kGpu}, "11.77.0.2", 100);
    EXPECT_TRUE(std::holds_alternative<std::string>(book.plan("gpu", {"gpu"})));  // no one else online
}

TEST_F(WakeBookTest, StateSurvivesARestartAndBadLinesAreSkipped) {
    {
        WakeBook book(state());
        book.report("gpu", {kGpu, lan(0x11, {10, 9, 0, 1}, 16)}, "11.77.0.2", 1234);
        book.report("nas", {kNas}, "11.77.0.2", 99);
    }
    std::ofstream(state(), std::ios::app) << "bad\n.bad 1.2.3.4 5\nx - 7 nonsense 02:00:00:00:00:01/1.2.3.4/40\n";
    WakeBook again(state());
    ASSERT_NE(again.facts("gpu"), nullptr);
    EXPECT_EQ(again.facts("gpu")->interfaces, (std::vector<proto::LanInterface>{kGpu, lan(0x11, {10, 9, 0, 1}, 16)}));
    EXPECT_EQ(again.facts("gpu")->public_address, "11.77.0.2");
    EXPECT_EQ(again.facts("gpu")->last_seen, 1234);
    EXPECT_EQ(again.facts(".bad"), nullptr);
    ASSERT_NE(again.facts("x"), nullptr);
    EXPECT_TRUE(again.facts("x")->interfaces.empty());
    EXPECT_EQ(plan_of(again.plan("gpu", {"nas"})).via, "nas");
}

}  // namespace
}  // namespace burrow::relay
