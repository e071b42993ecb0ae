#include "proto/frame.hpp"

#include <gtest/gtest.h>

#include <array>

#include "proto/errc.hpp"
#include "tests/unit/proto/mux_harness.hpp"

namespace burrow::proto {
namespace {

using test::Bytes;
using test::raw_header;

constexpr std::uint32_t kCap = FrameHeader::kMaxPayload;

std::error_code decode(const Bytes& in, FrameHeader& out, std::uint32_t max_payload = kCap) {
    return FrameHeader::decode(std::span<const std::uint8_t, FrameHeader::kSize>(in.data(), FrameHeader::kSize),
                               max_payload, out);
}

std::error_code decode(const Bytes& in, std::uint32_t max_payload = kCap) {
    FrameHeader ignored;
    return decode(in, ignored, max_payload);
}

bool is_session_level(FrameType t) {
    return t == FrameType::hello || t == FrameType::ping || t == FrameType::goaway || t == FrameType::control ||
           t == FrameType::ack;
}

constexpr std::array kAllTypes{FrameType::hello, FrameType::open,  FrameType::accept, FrameType::reject,
                               FrameType::data,  FrameType::window, FrameType::reset, FrameType::ping,
                               FrameType::goaway, FrameType::control, FrameType::ack};

TEST(FrameHeader, TypeValuesAreFixed) {
    for (std::size_t i = 0; i < kAllTypes.size(); ++i) EXPECT_EQ(static_cast<std::size_t>(kAllTypes[i]), i);
    EXPECT_EQ(kLastFrameType, 10);
    EXPECT_EQ(FrameHeader::kSize, 10u);
    EXPECT_EQ(FrameHeader::kMaxPayload, 65536u);
}

TEST(FrameHeader, EncodesTypeFlagsStreamLengthBigEndian) {
    std::array<std::uint8_t, FrameHeader::kSize> out{};
    FrameHeader{FrameType::data, kFlagFin, 0x01020304, 0x0000a0b0}.encode(out);
    EXPECT_EQ(out, (std::array<std::uint8_t, 10>{4, 1, 1, 2, 3, 4, 0, 0, 0xa0, 0xb0}));
}

TEST(FrameHeader, EveryTypeRoundTripsOnItsValidStream) {
    for (FrameType t : kAllTypes) {
        const StreamId stream = is_session_level(t) ? 0 : 7;
        std::array<std::uint8_t, FrameHeader::kSize> out{};
        FrameHeader{t, 0, stream, 123}.encode(out);
        FrameHeader back;
        ASSERT_FALSE(FrameHeader::decode(out, kCap, back)) << static_cast<int>(t);
        EXPECT_EQ(back.type, t);
        EXPECT_EQ(back.flags, 0);
        EXPECT_EQ(back.stream, stream);
        EXPECT_EQ(back.length, 123u);
    }
}

TEST(FrameHeader, DecodesLargestStreamIdAndZeroLength) {
    FrameHeader h;
    ASSERT_FALSE(decode(raw_header(4, 0, 0xffffffff, 0), h));
    EXPECT_EQ(h.stream, 0xffffffffu);
    EXPECT_EQ(h.length, 0u);
}

TEST(FrameHeader, UnknownTypeIsRejected) {
    for (int t : {11, 12, 0x7f, 0x80, 0xff}) EXPECT_EQ(decode(raw_header(static_cast<std::uint8_t>(t), 0, 0, 0)), Errc::unknown_frame_type) << t;
}

TEST(FrameHeader, LengthAboveReceiverMaximumIsTooLarge) {
    EXPECT_FALSE(decode(raw_header(4, 0, 1, 1024), 1024));
    EXPECT_EQ(decode(raw_header(4, 0, 1, 1025), 1024), Errc::frame_too_large);
}

TEST(FrameHeader, LengthAboveHardCapIsTooLargeWhateverTheReceiverSays) {
    EXPECT_FALSE(decode(raw_header(4, 0, 1, kCap), 0xffffffff));
    EXPECT_EQ(decode(raw_header(4, 0, 1, kCap + 1), 0xffffffff), Errc::frame_too_large);
    EXPECT_EQ(decode(raw_header(4, 0, 1, 0xffffffff), 0xffffffff), Errc::frame_too_large);
}

TEST(FrameHeader, FlagBitZeroIsAllowedOnDataAndPingOnly) {
    for (FrameType t : kAllTypes) {
        const StreamId stream = is_session_level(t) ? 0 : 1;
        const auto got = decode(raw_header(static_cast<std::uint8_t>(t), kFlagFin, stream, 0));
        if (t == FrameType::data || t == FrameType::ping)
            EXPECT_FALSE(got) << static_cast<int>(t);
        else
            EXPECT_EQ(got, Errc::malformed_frame) << static_cast<int>(t);
    }
}

TEST(FrameHeader, UndefinedFlagBitsAreMalformed) {
    for (FrameType t : kAllTypes) {
        const StreamId stream = is_session_level(t) ? 0 : 1;
        for (int bit = 1; bit < 8; ++bit) {
            if (t == FrameType::data && bit == 1) continue;  // E2E
            EXPECT_EQ(decode(raw_header(static_cast<std::uint8_t>(t), static_cast<std::uint8_t>(1 << bit), stream, 0)),
                      Errc::malformed_frame)
                << static_cast<int>(t) << " bit " << bit;
        }
    }
}

TEST(FrameHeader, E2eFlagIsAllowedOnDataOnlyAndKept) {
    for (FrameType t : kAllTypes) {
        const StreamId stream = is_session_level(t) ? 0 : 1;
        const auto got = decode(raw_header(static_cast<std::uint8_t>(t), kFlagE2e, stream, 0));
        if (t == FrameType::data)
            EXPECT_FALSE(got);
        else
            EXPECT_EQ(got, Errc::malformed_frame) << static_cast<int>(t);
    }
    FrameHeader h;
    ASSERT_FALSE(decode(raw_header(4, kFlagE2e | kFlagFin, 1, 5), h));
    EXPECT_EQ(h.flags, kFlagE2e | kFlagFin);
}

TEST(FrameHeader, AckFlagOnPingIsKept) {
    FrameHeader h;
    ASSERT_FALSE(decode(raw_header(7, kFlagAck, 0, 8), h));
    EXPECT_EQ(h.flags, kFlagAck);
}

TEST(FrameHeader, SessionLevelTypesRequireStreamZero) {
    for (FrameType t : {FrameType::hello, FrameType::ping, FrameType::goaway, FrameType::control}) {
        EXPECT_FALSE(decode(raw_header(static_cast<std::uint8_t>(t), 0, 0, 0))) << static_cast<int>(t);
        EXPECT_EQ(decode(raw_header(static_cast<std::uint8_t>(t), 0, 1, 0)), Errc::bad_stream_id) << static_cast<int>(t);
        EXPECT_EQ(decode(raw_header(static_cast<std::uint8_t>(t), 0, 2, 0)), Errc::bad_stream_id) << static_cast<int>(t);
    }
}

TEST(FrameHeader, StreamTypesForbidStreamZero) {
    for (FrameType t : {FrameType::open, FrameType::accept, FrameType::reject, FrameType::data, FrameType::reset}) {
        EXPECT_EQ(decode(raw_header(static_cast<std::uint8_t>(t), 0, 0, 0)), Errc::bad_stream_id) << static_cast<int>(t);
        EXPECT_FALSE(decode(raw_header(static_cast<std::uint8_t>(t), 0, 1, 0))) << static_cast<int>(t);
    }
}

TEST(FrameHeader, WindowIsValidOnStreamZeroAndOnStreams) {
    EXPECT_FALSE(decode(raw_header(5, 0, 0, 4)));
    EXPECT_FALSE(decode(raw_header(5, 0, 9, 4)));
}

TEST(FrameHeader, DecodeLeavesOutputUntouchedOnError) {
    FrameHeader h{FrameType::ping, 0, 0, 8};
    ASSERT_TRUE(decode(raw_header(12, 0, 5, 5), h));
    EXPECT_EQ(h.type, FrameType::ping);
    EXPECT_EQ(h.length, 8u);
}

TEST(AppendFrame, WritesHeaderThenPayload) {
    Bytes out{0xee};
    const Bytes payload{'h', 'i'};
    append_frame(out, FrameType::data, kFlagFin, 3, payload);
    EXPECT_EQ(out, (Bytes{0xee, 4, 1, 0, 0, 0, 3, 0, 0, 0, 2, 'h', 'i'}));
}

TEST(AppendFrame, EmptyPayloadIsHeaderOnly) {
    Bytes out;
    append_frame(out, FrameType::goaway, 0, 0, {});
    EXPECT_EQ(out, (Bytes{8, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

}  // namespace
}  // namespace burrow::proto
