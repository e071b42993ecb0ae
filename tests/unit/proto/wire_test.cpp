#include "proto/wire.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace burrow::proto {
namespace {

std::vector<std::uint8_t> bytes_of(std::initializer_list<int> values) {
    std::vector<std::uint8_t> out;
    for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
    return out;
}

TEST(Wire, StoreBe16IsBigEndian) {
    std::array<std::uint8_t, 2> b{};
    store_be16(b.data(), 0x1234);
    EXPECT_EQ(b[0], 0x12);
    EXPECT_EQ(b[1], 0x34);
    EXPECT_EQ(load_be16(b.data()), 0x1234);
}

TEST(Wire, StoreBe32IsBigEndian) {
    std::array<std::uint8_t, 4> b{};
    store_be32(b.data(), 0x89abcdef);
    EXPECT_EQ(b, (std::array<std::uint8_t, 4>{0x89, 0xab, 0xcd, 0xef}));
    EXPECT_EQ(load_be32(b.data()), 0x89abcdefu);
}

TEST(Wire, LoadHandlesHighBitsWithoutSignProblems) {
    const auto b = bytes_of({0xff, 0xff, 0xff, 0xff});
    EXPECT_EQ(load_be16(b.data()), 0xffffu);
    EXPECT_EQ(load_be32(b.data()), 0xffffffffu);
}

TEST(ByteWriter, WritesEveryWidthBigEndian) {
    std::vector<std::uint8_t> out;
    ByteWriter w(out);
    w.u8(0x01);
    w.u16(0x0203);
    w.u32(0x04050607);
    w.u64(0x08090a0b0c0d0e0full);
    EXPECT_EQ(out, bytes_of({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
}

TEST(ByteWriter, Str16PrefixesTheLength) {
    std::vector<std::uint8_t> out;
    ByteWriter w(out);
    w.str16("abc");
    EXPECT_EQ(out, bytes_of({0, 3, 'a', 'b', 'c'}));
}

TEST(ByteWriter, BytesAppendsRaw) {
    std::vector<std::uint8_t> out;
    ByteWriter w(out);
    w.bytes(std::string_view("xy"));
    const auto more = bytes_of({0xfe});
    w.bytes(std::span<const std::uint8_t>(more));
    EXPECT_EQ(out, bytes_of({'x', 'y', 0xfe}));
}

TEST(ByteReader, ReadsWhatByteWriterWrote) {
    std::vector<std::uint8_t> out;
    ByteWriter w(out);
    w.u8(0xaa);
    w.u16(0xbbcc);
    w.u32(0xddeeff00);
    w.u64(0x0102030405060708ull);
    w.str16("burrow");
    ByteReader r(out);
    std::uint8_t a = 0;
    std::uint16_t b = 0;
    std::uint32_t c = 0;
    std::uint64_t d = 0;
    std::string s;
    ASSERT_TRUE(r.u8(a));
    ASSERT_TRUE(r.u16(b));
    ASSERT_TRUE(r.u32(c));
    ASSERT_TRUE(r.u64(d));
    ASSERT_TRUE(r.str16(s, 64));
    EXPECT_EQ(a, 0xaa);
    EXPECT_EQ(b, 0xbbcc);
    EXPECT_EQ(c, 0xddeeff00u);
    EXPECT_EQ(d, 0x0102030405060708ull);
    EXPECT_EQ(s, "burrow");
    EXPECT_TRUE(r.at_end());
}

TEST(ByteReader, EmptyInputIsAtEnd) {
    ByteReader r({});
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r.at_end());
}

TEST(ByteReader, EachGetterFailsPastTheEnd) {
    const auto in = bytes_of({1, 2, 3});
    {
        ByteReader r(in);
        std::uint32_t v = 0;
        EXPECT_FALSE(r.u32(v));
        EXPECT_FALSE(r.ok());
    }
    {
        ByteReader r(std::span<const std::uint8_t>(in).first(1));
        std::uint16_t v = 0;
        EXPECT_FALSE(r.u16(v));
    }
    {
        ByteReader r(in);
        std::uint64_t v = 0;
        EXPECT_FALSE(r.u64(v));
    }
    {
        ByteReader r(std::span<const std::uint8_t>(in).first(0));
        std::uint8_t v = 0;
        EXPECT_FALSE(r.u8(v));
    }
}

TEST(ByteReader, StaysFailedAfterAFailure) {
    const auto in = bytes_of({1, 2, 3});
    ByteReader r(in);
    std::uint32_t big = 0;
    std::uint8_t small = 0;
    ASSERT_FALSE(r.u32(big));
    EXPECT_FALSE(r.u8(small));
    EXPECT_FALSE(r.at_end());
    EXPECT_TRUE(r.rest().empty());
}

TEST(ByteReader, Str16FailsWhenLengthExceedsData) {
    const auto in = bytes_of({0, 5, 'a', 'b'});
    ByteReader r(in);
    std::string s;
    EXPECT_FALSE(r.str16(s, 100));
    EXPECT_FALSE(r.ok());
}

TEST(ByteReader, Str16FailsAboveMaxLen) {
    const auto in = bytes_of({0, 3, 'a', 'b', 'c'});
    ByteReader r(in);
    std::string s;
    EXPECT_FALSE(r.str16(s, 2));
    EXPECT_FALSE(r.ok());
}

TEST(ByteReader, Str16AcceptsExactlyMaxLen) {
    const auto in = bytes_of({0, 3, 'a', 'b', 'c'});
    ByteReader r(in);
    std::string s;
    EXPECT_TRUE(r.str16(s, 3));
    EXPECT_EQ(s, "abc");
}

TEST(ByteReader, Str16OfLengthZero) {
    const auto in = bytes_of({0, 0});
    ByteReader r(in);
    std::string s = "old";
    EXPECT_TRUE(r.str16(s, 0));
    EXPECT_EQ(s, "");
    EXPECT_TRUE(r.at_end());
}

TEST(ByteReader, RestReturnsUnreadBytesAndEndsTheInput) {
    const auto in = bytes_of({0, 7, 'x', 'y'});
    ByteReader r(in);
    std::uint16_t v = 0;
    ASSERT_TRUE(r.u16(v));
    const auto rest = r.rest();
    EXPECT_EQ(std::vector<std::uint8_t>(rest.begin(), rest.end()), bytes_of({'x', 'y'}));
    EXPECT_TRUE(r.at_end());
    EXPECT_TRUE(r.rest().empty());
}

TEST(ByteReader, ReadFillsExactlyTheSpan) {
    const auto in = bytes_of({1, 2, 3, 4});
    ByteReader r(in);
    std::array<std::uint8_t, 3> out{};
    ASSERT_TRUE(r.read(out));
    EXPECT_EQ(out, (std::array<std::uint8_t, 3>{1, 2, 3}));
    EXPECT_FALSE(r.at_end());
}

TEST(ByteReader, ReadFailsWhenShort) {
    const auto in = bytes_of({1, 2});
    ByteReader r(in);
    std::array<std::uint8_t, 3> out{};
    EXPECT_FALSE(r.read(out));
    EXPECT_FALSE(r.ok());
}

TEST(ByteReader, AtEndIsFalseWithBytesLeft) {
    const auto in = bytes_of({1, 2});
    ByteReader r(in);
    std::uint8_t v = 0;
    ASSERT_TRUE(r.u8(v));
    EXPECT_FALSE(r.at_end());
}

}  // namespace
}  // namespace burrow::proto
