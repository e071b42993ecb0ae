// Which router addresses a port mapping is useless behind.
#include <gtest/gtest.h>

#include "endpoint/port_mapping.hpp"

using burrow::endpoint::non_public_range;

TEST(NonPublicRange, NamesPrivateCarrierAndReservedRanges) {
    EXPECT_EQ(non_public_range("10.1.2.3"), "10.0.0.0/8 (private)");
    EXPECT_EQ(non_public_range("172.16.0.1"), "172.16.0.0/12 (private)");
    EXPECT_EQ(non_public_range("172.31.255.255"), "172.16.0.0/12 (private)");
    EXPECT_EQ(non_public_range("192.168.77.1"), "192.168.0.0/16 (private)");
    EXPECT_EQ(non_public_range("100.64.77.2"), "100.64.0.0/10 (carrier-grade NAT)");
    EXPECT_EQ(non_public_range("100.127.255.255"), "100.64.0.0/10 (carrier-grade NAT)");
    EXPECT_EQ(non_public_range("127.0.0.1"), "127.0.0.0/8 (loopback)");
    EXPECT_EQ(non_public_range("169.254.1.1"), "169.254.0.0/16 (link-local)");
    EXPECT_EQ(non_public_range("0.0.0.0"), "0.0.0.0/8 (unspecified)");
    EXPECT_EQ(non_public_range("239.1.1.1"), "224.0.0.0/3 (multicast or reserved)");
}

TEST(NonPublicRange, PublicAddressesAndNonIpv4AreEmpty) {
    for (const char* ok : {"11.77.0.2", "172.15.255.255", "172.32.0.0", "100.63.255.255", "100.128.0.0",
                           "203.0.113.10", "8.8.8.8", "", "not an address", "2001:db8::1"})
        EXPECT_EQ(non_public_range(ok), "") << ok;
}
