#include "proto/resend_buffer.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace burrow::proto {
namespace {

std::vector<std::uint8_t> iota_bytes(std::size_t n, std::uint8_t first = 0) {
    std::vector<std::uint8_t> v(n);
    std::iota(v.begin(), v.end(), first);
    return v;
}

std::vector<std::uint8_t> replay(const ResendBuffer& b, std::uint64_t from) {
    std::vector<std::span<const std::uint8_t>> pieces;
    EXPECT_TRUE(b.replay_from(from, pieces));
    std::vector<std::uint8_t> out;
    for (auto p : pieces) out.insert(out.end(), p.begin(), p.end());
    return out;
}

TEST(ResendBuffer, ALargeBufferGivenUpIsKeptWithoutACopy) {
    ResendBuffer b;
    auto big = iota_bytes(40000);
    const auto expected = big;
    const std::uint8_t* where = big.data();
    const auto kept = b.append(std::move(big));
    EXPECT_EQ(kept.data(), where);
    EXPECT_EQ(kept.size(), expected.size());
    EXPECT_EQ(b.end(), expected.size());
    EXPECT_EQ(replay(b, 100), std::vector<std::uint8_t>(expected.begin() + 100, expected.end()));
    EXPECT_TRUE(b.acknowledge(expected.size()));
    EXPECT_EQ(b.size(), 0u);
}

TEST(ResendBuffer, ASmallBufferGivenUpIsCopied) {
    ResendBuffer b;
    auto small = iota_bytes(30);
    const auto kept = b.append(std::move(small));
    EXPECT_NE(kept.data(), small.data());  // the caller's buffer is not taken over
    EXPECT_EQ(std::vector<std::uint8_t>(kept.begin(), kept.end()), iota_bytes(30));
    b.append(std::span<const std::uint8_t>(iota_bytes(20, 30)));
    EXPECT_EQ(replay(b, 0), iota_bytes(50));
}

TEST(ResendBuffer, ReplaysEverythingNotAcknowledged) {
    ResendBuffer b;
    const auto data = iota_bytes(100);
    b.append(std::span(data).first(30));
    b.append(std::span(data).subspan(30));
    EXPECT_EQ(b.end(), 100u);
    EXPECT_EQ(replay(b, 0), data);
    EXPECT_EQ(replay(b, 45), std::vector<std::uint8_t>(data.begin() + 45, data.end()));
    EXPECT_TRUE(replay(b, 100).empty());
}

TEST(ResendBuffer, AcknowledgeDropsBytesAcrossChunks) {
    ResendBuffer b;
    const auto data = iota_bytes(100);
    for (std::size_t i = 0; i < 100; i += 10) b.append(std::span(data).subspan(i, 10));
    ASSERT_TRUE(b.acknowledge(35));
    EXPECT_EQ(b.begin(), 35u);
    EXPECT_EQ(b.size(), 65u);
    EXPECT_EQ(replay(b, 35), std::vector<std::uint8_t>(data.begin() + 35, data.end()));
    EXPECT_EQ(replay(b, 61), std::vector<std::uint8_t>(data.begin() + 61, data.end()));
}

TEST(ResendBuffer, StaleAcknowledgementIsIgnored) {
    ResendBuffer b;
    const auto data = iota_bytes(10);
    b.append(data);
    ASSERT_TRUE(b.acknowledge(8));
    ASSERT_TRUE(b.acknowledge(3));
    EXPECT_EQ(b.begin(), 8u);
    EXPECT_EQ(b.size(), 2u);
}

TEST(ResendBuffer, AcknowledgingUnsentBytesIsAnError) {
    ResendBuffer b;
    b.append(iota_bytes(10));
    EXPECT_FALSE(b.acknowledge(11));
    EXPECT_EQ(b.size(), 10u);
}

TEST(ResendBuffer, ReplayOutsideTheKeptRangeFails) {
    ResendBuffer b;
    b.append(iota_bytes(10));
    ASSERT_TRUE(b.acknowledge(4));
    std::vector<std::span<const std::uint8_t>> pieces;
    EXPECT_FALSE(b.replay_from(3, pieces));
    EXPECT_FALSE(b.replay_from(11, pieces));
    EXPECT_TRUE(b.replay_from(4, pieces));
}

TEST(ResendBuffer, FullAcknowledgementEmptiesIt) {
    ResendBuffer b;
    b.append(iota_bytes(10));
    b.append(iota_bytes(5));
    ASSERT_TRUE(b.acknowledge(15));
    EXPECT_EQ(b.size(), 0u);
    EXPECT_EQ(b.begin(), 15u);
    b.append(iota_bytes(3, 7));
    EXPECT_EQ(replay(b, 15), iota_bytes(3, 7));
}

TEST(ResendBuffer, SkippedBytesCountButAreNotKept) {
    ResendBuffer b;
    b.skip(100);
    EXPECT_EQ(b.begin(), 100u);
    EXPECT_EQ(b.end(), 100u);
    b.append(iota_bytes(5));
    EXPECT_EQ(replay(b, 100), iota_bytes(5));
    std::vector<std::span<const std::uint8_t>> pieces;
    EXPECT_FALSE(b.replay_from(50, pieces));
    EXPECT_TRUE(b.acknowledge(103));
    EXPECT_EQ(replay(b, 103), iota_bytes(2, 3));
}

}  // namespace
}  // namespace burrow::proto
