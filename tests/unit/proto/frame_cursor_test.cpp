#include "proto/frame_cursor.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace burrow::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;

void add_frame(Bytes& out, FrameType type, std::uint8_t flags, std::size_t length) {
    std::uint8_t header[FrameHeader::kSize];
    FrameHeader{type, flags, 1, static_cast<std::uint32_t>(length)}.encode(header);
    out.insert(out.end(), header, header + FrameHeader::kSize);
    out.insert(out.end(), length, static_cast<std::uint8_t>(0x40 + length % 7));
}

// Walks `bytes` in pieces of `piece` bytes; returns, for every byte, whether
// the cursor took it as end-to-end payload.
std::vector<bool> walk(const Bytes& bytes, std::size_t piece, FrameCursor& cursor) {
    std::vector<bool> raw;
    std::size_t at = 0;
    while (at < bytes.size()) {
        const std::size_t end = std::min(bytes.size(), at + piece);
        while (at < end) {
            if (cursor.raw_due() > 0) {
                const std::size_t n = std::min<std::size_t>(cursor.raw_due(), end - at);
                cursor.raw(n);
                raw.insert(raw.end(), n, true);
                at += n;
                continue;
            }
            const std::size_t n = cursor.sealed(std::span<const std::uint8_t>(bytes).subspan(at, end - at));
            EXPECT_GT(n, 0u);
            raw.insert(raw.end(), n, false);
            at += n;
        }
    }
    return raw;
}

Bytes mixed_frames() {
    Bytes b;
    add_frame(b, FrameType::hello, 0, 12);
    add_frame(b, FrameType::data, 0, 100);           // handshake bytes: sealed
    add_frame(b, FrameType::data, kFlagE2e, 300);    // raw
    add_frame(b, FrameType::window, 0, 4);
    add_frame(b, FrameType::data, kFlagE2e | kFlagFin, 0);  // empty: nothing raw
    add_frame(b, FrameType::control, kFlagE2e, 20);  // the flag means nothing on other types
    add_frame(b, FrameType::data, kFlagE2e | kFlagFin, 7);
    return b;
}

std::vector<bool> expected_raw() {
    std::vector<bool> raw;
    const auto sealed = [&](std::size_t n) { raw.insert(raw.end(), n, false); };
    sealed(10 + 12);
    sealed(10 + 100);
    sealed(10);
    raw.insert(raw.end(), 300, true);
    sealed(10 + 4);
    sealed(10);
    sealed(10 + 20);
    sealed(10);
    raw.insert(raw.end(), 7, true);
    return raw;
}

TEST(FrameCursor, TellsEndToEndPayloadsFromSealedBytesOnEverySplit) {
    const Bytes bytes = mixed_frames();
    const auto want = expected_raw();
    ASSERT_EQ(want.size(), bytes.size());
    for (std::size_t piece = 1; piece <= bytes.size(); ++piece) {
        FrameCursor cursor;
        EXPECT_EQ(walk(bytes, piece, cursor), want) << "pieces of " << piece;
        EXPECT_TRUE(cursor.at_frame_start());
    }
}

TEST(FrameCursor, StopsRightAfterTheHeaderOfAnEndToEndPayload) {
    Bytes b;
    add_frame(b, FrameType::window, 0, 4);
    add_frame(b, FrameType::data, kFlagE2e, 50);
    FrameCursor cursor;
    EXPECT_EQ(cursor.sealed(b), 14u + 10u);
    EXPECT_EQ(cursor.raw_due(), 50u);
    EXPECT_FALSE(cursor.at_frame_start());
    cursor.raw(50);
    EXPECT_TRUE(cursor.at_frame_start());
}

TEST(FrameCursor, IsBetweenFramesOnlyAtFrameBoundaries) {
    Bytes b;
    add_frame(b, FrameType::data, 0, 5);
    FrameCursor cursor;
    for (std::size_t i = 0; i + 1 < b.size(); ++i) {
        cursor.sealed(std::span<const std::uint8_t>(b).subspan(i, 1));
        EXPECT_FALSE(cursor.at_frame_start()) << i;
    }
    cursor.sealed(std::span<const std::uint8_t>(b).last(1));
    EXPECT_TRUE(cursor.at_frame_start());
}

TEST(FrameCursor, ALengthOfFourGigabytesIsOnlyCounted) {
    Bytes b;
    std::uint8_t header[FrameHeader::kSize];
    FrameHeader{FrameType::data, kFlagE2e, 1, 0xffffffffu}.encode(header);
    b.assign(header, header + FrameHeader::kSize);
    FrameCursor cursor;
    EXPECT_EQ(cursor.sealed(b), FrameHeader::kSize);
    EXPECT_EQ(cursor.raw_due(), 0xffffffffu);
}

}  // namespace
}  // namespace burrow::proto
