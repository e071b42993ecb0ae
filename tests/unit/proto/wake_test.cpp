#include "proto/wake.hpp"

#include <gtest/gtest.h>

namespace burrow::proto {
namespace {

const MacAddress kMac{0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e};

TEST(Wake, ParsesTheUsualMacForms) {
    for (std::string_view text : {"00:1a:2b:3c:4d:5e", "00-1A-2B-3C-4D-5E", "001a2b3c4d5e", "00:1A:2b:3C:4d:5E"})
        EXPECT_EQ(parse_mac(text), kMac) << text;
}

TEST(Wake, RefusesMalformedMacs) {
    for (std::string_view text : {"", "00:1a:2b:3c:4d", "00:1a:2b:3c:4d:5e:6f", "00:1a-2b:3c:4d:5e", "00:1a:2b:3c:4d:5g",
                                  "001a2b3c4d5", "00.1a.2b.3c.4d.5e", "0:1a:2b:3c:4d:5e:", "gpu", "00:1a:2b:3c:4d:5e "})
        EXPECT_EQ(parse_mac(text), std::nullopt) << text;
}

TEST(Wake, FormatsMacsInLowerCase) { EXPECT_EQ(format_mac(kMac), "00:1a:2b:3c:4d:5e"); }

TEST(Wake, SecureOnTakesSixHexBytesOrFourDecimals) {
    EXPECT_EQ(parse_secureon("01:02:03:04:05:fe"), (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 0xfe}));
    EXPECT_EQ(parse_secureon("192.168.0.255"), (std::vector<std::uint8_t>{192, 168, 0, 255}));
    for (std::string_view bad : {"", "1.2.3", "1.2.3.4.5", "1.2.3.256", "1..3.4", "1.2.3.4.", "a.b.c.d", "0x1.2.3.4",
                                 "01:02:03:04:05", "1234.1.1.1"})
        EXPECT_EQ(parse_secureon(bad), std::nullopt) << bad;
}

TEST(Wake, MagicPacketIsSixFfThenTheMacSixteenTimes) {
    const auto packet = magic_packet(kMac);
    ASSERT_EQ(packet.size(), 102u);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(packet[i], 0xff);
    for (int copy = 0; copy < 16; ++copy)
        for (int i = 0; i < 6; ++i) EXPECT_EQ(packet[6 + copy * 6 + i], kMac[i]) << copy << "/" << i;
}

TEST(Wake, PasswordFollowsTheMacs) {
    const std::vector<std::uint8_t> password{1, 2, 3, 4, 5, 6};
    const auto packet = magic_packet(kMac, password);
    ASSERT_EQ(packet.size(), 108u);
    EXPECT_TRUE(std::equal(password.begin(), password.end(), packet.end() - 6));
    EXPECT_EQ(magic_packet(kMac, std::vector<std::uint8_t>{10, 0, 0, 1}).size(), 106u);
}

TEST(Wake, SubnetAndBroadcastArithmetic) {
    EXPECT_EQ(subnet_text({{}, {10, 9, 200, 7}, 16}), "10.9.0.0/16");
    EXPECT_EQ(broadcast_of({{}, {10, 9, 200, 7}, 16}), (std::array<std::uint8_t, 4>{10, 9, 255, 255}));
    EXPECT_EQ(broadcast_of({{}, {192, 168, 1, 130}, 25}), (std::array<std::uint8_t, 4>{192, 168, 1, 255}));
    EXPECT_EQ(broadcast_of({{}, {192, 168, 1, 5}, 32}), (std::array<std::uint8_t, 4>{192, 168, 1, 5}));
    EXPECT_EQ(broadcast_of({{}, {192, 168, 1, 5}, 0}), (std::array<std::uint8_t, 4>{255, 255, 255, 255}));
    EXPECT_EQ(ipv4_text({192, 168, 77, 255}), "192.168.77.255");
}

}  // namespace
}  // namespace burrow::proto
