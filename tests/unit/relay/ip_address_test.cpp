#include "relay/ip_address.hpp"

#include <gtest/gtest.h>

namespace burrow::relay {
namespace {

TEST(IpAddress, ParsesBothFamiliesAndUnmapsIpv4) {
    const auto v4 = parse_ip("203.0.113.9");
    ASSERT_TRUE(v4);
    EXPECT_TRUE(v4->v4);
    EXPECT_EQ(v4->bytes[0], 203);
    EXPECT_EQ(v4->bytes[3], 9);
    const auto mapped = parse_ip("::ffff:203.0.113.9");
    ASSERT_TRUE(mapped);
    EXPECT_TRUE(mapped->v4);
    EXPECT_EQ(mapped->bytes, v4->bytes);
    const auto v6 = parse_ip("2001:db8::1");
    ASSERT_TRUE(v6);
    EXPECT_FALSE(v6->v4);
    EXPECT_EQ(v6->bytes[15], 1);
    EXPECT_FALSE(parse_ip("203.0.113.9:22"));
    EXPECT_FALSE(parse_ip(""));
}

TEST(IpAddress, SourceIsTheIpv4AddressOrTheIpv6Slash64) {
    EXPECT_EQ(source_of("203.0.113.9"), "203.0.113.9");
    EXPECT_EQ(source_of("::ffff:203.0.113.9"), "203.0.113.9");
    EXPECT_EQ(source_of("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
    EXPECT_EQ(source_of("2001:db8:1:2::1"), source_of("2001:db8:1:2:ffff::9"));
    EXPECT_NE(source_of("2001:db8:1:2::1"), source_of("2001:db8:1:3::1"));
    EXPECT_EQ(source_of("not an address"), "not an address");
}

TEST(IpAddress, SamePrefixCountsBits) {
    const auto a = parse_ip("10.1.2.3")->bytes;
    const auto b = parse_ip("10.1.3.3")->bytes;
    EXPECT_TRUE(same_prefix(a, b, 23));
    EXPECT_FALSE(same_prefix(a, b, 24));
    EXPECT_TRUE(same_prefix(a, b, 0));
}

}  // namespace
}  // namespace burrow::relay
