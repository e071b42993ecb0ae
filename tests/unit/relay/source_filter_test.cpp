#include "relay/source_filter.hpp"

#include <gtest/gtest.h>

namespace burrow::relay {
namespace {

TEST(SourceFilter, EmptyAdmitsEveryone) {
    const SourceFilter all;
    EXPECT_TRUE(all.everyone());
    EXPECT_TRUE(all.admits("203.0.113.9"));
    EXPECT_TRUE(all.admits("::1"));
}

TEST(SourceFilter, Ipv4RangesAndSingleAddresses) {
    const SourceFilter f({"203.0.113.0/24", "198.51.100.7", "10.1.2.3/9"});
    EXPECT_TRUE(f.admits("203.0.113.0"));
    EXPECT_TRUE(f.admits("203.0.113.255"));
    EXPECT_FALSE(f.admits("203.0.114.1"));
    EXPECT_TRUE(f.admits("198.51.100.7"));
    EXPECT_FALSE(f.admits("198.51.100.8"));
    EXPECT_TRUE(f.admits("10.127.255.255"));
    EXPECT_FALSE(f.admits("10.128.0.0"));
    EXPECT_TRUE(f.admits("::ffff:203.0.113.5"));  // IPv4 seen on an IPv6 socket
    EXPECT_FALSE(f.admits("2001:db8::1"));
    EXPECT_FALSE(f.admits("not an address"));
}

TEST(SourceFilter, Ipv6Ranges) {
    const SourceFilter f({"2001:db8::/32", "::1/128"});
    EXPECT_TRUE(f.admits("2001:db8:ffff::1"));
    EXPECT_FALSE(f.admits("2001:db9::1"));
    EXPECT_TRUE(f.admits("::1"));
    EXPECT_FALSE(f.admits("127.0.0.1"));
}

TEST(SourceFilter, BadEntriesAreRefused) {
    for (const char* bad : {"203.0.113.0/33", "203.0.113/24", "2001:db8::/129", "x/1", "1.2.3.4/", "1.2.3.4/8x", ""})
        EXPECT_THROW(SourceFilter({bad}), std::invalid_argument) << bad;
}

}  // namespace
}  // namespace burrow::relay
