#include "proto/frame_reader.hpp"

#include <gtest/gtest.h>

#include <random>

#include "proto/errc.hpp"
#include "tests/unit/proto/mux_harness.hpp"

namespace burrow::proto {
namespace {

using test::Bytes;
using test::ParsedFrame;

struct Fed {
    std::vector<ParsedFrame> frames;
    std::error_code ec;
    std::size_t max_buffered = 0;
};

// Feeds `in` in pieces whose sizes come from `piece`.
template <class Piece>
Fed feed(FrameReader& reader, const Bytes& in, Piece piece) {
    Fed fed;
    std::size_t pos = 0;
    while (pos < in.size() && !fed.ec) {
        const std::size_t n = std::min(piece(), in.size() - pos);
        std::span<const std::uint8_t> chunk(in.data() + pos, n);
        pos += n;
        FrameReader::Frame f;
        while (reader.next(chunk, f, fed.ec)) {
            fed.frames.push_back({f.header, Bytes(f.payload.begin(), f.payload.end())});
            fed.max_buffered = std::max(fed.max_buffered, reader.buffered());
        }
        fed.max_buffered = std::max(fed.max_buffered, reader.buffered());
        if (!fed.ec) {
            EXPECT_TRUE(chunk.empty()) << "next() returned false with bytes left";
        }
    }
    return fed;
}

Bytes sample_stream() {
    return test::concat({test::hello_frame(), test::open_frame(1, 4096, "lab/ssh"), test::accept_frame(1, 8192),
                         test::data_frame(1, test::filled(3000)), test::data_frame(1, "", true),
                         test::window_frame(0, 77), test::ping_frame(0x1122334455667788ull, true),
                         test::coded_frame(FrameType::reset, 3, Errc::cancelled, "bye"),
                         test::data_frame(5, test::filled(1, 9)), test::coded_frame(FrameType::goaway, 0, Errc::going_away, "")});
}

void expect_sample(const std::vector<ParsedFrame>& frames) {
    ASSERT_EQ(frames.size(), 10u);
    EXPECT_EQ(frames[0].header.type, FrameType::hello);
    EXPECT_EQ(frames[0].payload, test::hello_payload());
    EXPECT_EQ(frames[1].header.type, FrameType::open);
    EXPECT_EQ(test::text(std::span(frames[1].payload).subspan(5)), "lab/ssh");
    EXPECT_EQ(frames[2].u32(), 8192u);
    EXPECT_EQ(frames[3].payload, test::filled(3000));
    EXPECT_EQ(frames[4].header.flags, kFlagFin);
    EXPECT_TRUE(frames[4].payload.empty());
    EXPECT_EQ(frames[5].header.stream, 0u);
    EXPECT_EQ(frames[6].header.flags, kFlagAck);
    EXPECT_EQ(frames[7].reason(), "bye");
    EXPECT_EQ(frames[8].payload, test::filled(1, 9));
    EXPECT_EQ(frames[9].header.type, FrameType::goaway);
}

TEST(FrameReader, ReadsASequenceGivenAllAtOnce) {
    FrameReader reader(16 * 1024);
    const auto fed = feed(reader, sample_stream(), [] { return std::size_t{1} << 30; });
    EXPECT_FALSE(fed.ec);
    expect_sample(fed.frames);
    EXPECT_EQ(reader.buffered(), 0u);
}

TEST(FrameReader, ReadsASequenceFedOneByteAtATime) {
    FrameReader reader(16 * 1024);
    const auto fed = feed(reader, sample_stream(), [] { return std::size_t{1}; });
    EXPECT_FALSE(fed.ec);
    expect_sample(fed.frames);
}

TEST(FrameReader, ReadsASequenceInRandomSplits) {
    const Bytes in = sample_stream();
    for (std::uint32_t seed = 1; seed <= 200; ++seed) {
        std::mt19937 rng(seed);
        std::uniform_int_distribution<std::size_t> size(1, 40);
        FrameReader reader(16 * 1024);
        const auto fed = feed(reader, in, [&] { return size(rng); });
        EXPECT_FALSE(fed.ec);
        expect_sample(fed.frames);
        if (HasFailure()) {
            ADD_FAILURE() << "seed " << seed;
            return;
        }
    }
}

TEST(FrameReader, ReportsNothingUntilTheFrameIsComplete) {
    const Bytes f = test::data_frame(1, "hello");
    FrameReader reader(1024);
    for (std::size_t i = 0; i + 1 < f.size(); ++i) {
        std::span<const std::uint8_t> one(&f[i], 1);
        FrameReader::Frame out;
        std::error_code ec;
        EXPECT_FALSE(reader.next(one, out, ec)) << i;
        EXPECT_FALSE(ec);
        EXPECT_EQ(reader.buffered(), i + 1);
    }
    std::span<const std::uint8_t> last(&f.back(), 1);
    FrameReader::Frame out;
    std::error_code ec;
    ASSERT_TRUE(reader.next(last, out, ec));
    EXPECT_EQ(test::text(out.payload), "hello");
}

TEST(FrameReader, ZeroLengthFramesBackToBack) {
    const Bytes in = test::concat({test::data_frame(1, "", true), test::data_frame(3, "", false)});
    FrameReader reader(1024);
    const auto fed = feed(reader, in, [] { return std::size_t{1}; });
    ASSERT_EQ(fed.frames.size(), 2u);
    EXPECT_EQ(fed.frames[0].header.stream, 1u);
    EXPECT_EQ(fed.frames[1].header.stream, 3u);
}

TEST(FrameReader, MaxPayloadFrameIsAccepted) {
    FrameReader reader(FrameHeader::kMaxPayload);
    const auto fed = feed(reader, test::data_frame(1, test::filled(FrameHeader::kMaxPayload)), [] { return std::size_t{4096}; });
    EXPECT_FALSE(fed.ec);
    ASSERT_EQ(fed.frames.size(), 1u);
    EXPECT_EQ(fed.frames[0].payload.size(), FrameHeader::kMaxPayload);
}

TEST(FrameReader, OversizeLengthFailsAtTheHeaderWithoutBuffering) {
    FrameReader reader(1024);
    Bytes in = test::raw_header(4, 0, 1, 1025);
    in.resize(in.size() + 1025);
    const auto fed = feed(reader, in, [] { return std::size_t{1}; });
    EXPECT_EQ(fed.ec, Errc::frame_too_large);
    EXPECT_TRUE(fed.frames.empty());
    EXPECT_LE(fed.max_buffered, FrameHeader::kSize);
}

TEST(FrameReader, UnknownTypeFails) {
    FrameReader reader(1024);
    const auto fed = feed(reader, test::raw_header(kResumeFrameType, 0, 0, 0), [] { return std::size_t{3}; });
    EXPECT_EQ(fed.ec, Errc::unknown_frame_type);
}

TEST(FrameReader, BadFlagsAndStreamZeroRulesFail) {
    {
        FrameReader reader(1024);
        EXPECT_EQ(feed(reader, test::raw_header(1, kFlagFin, 1, 0), [] { return std::size_t{10}; }).ec,
                  Errc::malformed_frame);
    }
    {
        FrameReader reader(1024);
        EXPECT_EQ(feed(reader, test::raw_header(4, 0, 0, 0), [] { return std::size_t{10}; }).ec, Errc::bad_stream_id);
    }
}

TEST(FrameReader, StaysDeadAfterAnError) {
    FrameReader reader(1024);
    const Bytes bad = test::raw_header(0xff, 0, 0, 0);
    std::span<const std::uint8_t> in(bad);
    FrameReader::Frame out;
    std::error_code ec;
    ASSERT_FALSE(reader.next(in, out, ec));
    ASSERT_TRUE(ec);
    const Bytes good = test::ping_frame(1);
    std::span<const std::uint8_t> again(good);
    std::error_code ec2;
    EXPECT_FALSE(reader.next(again, out, ec2));
    EXPECT_TRUE(ec2);
}

TEST(FrameReader, FramesAfterAnErrorInTheSameInputAreNotDelivered) {
    const Bytes in = test::concat({test::ping_frame(1), test::raw_header(12, 0, 0, 0), test::ping_frame(2)});
    FrameReader reader(1024);
    const auto fed = feed(reader, in, [] { return std::size_t{1} << 20; });
    EXPECT_EQ(fed.ec, Errc::unknown_frame_type);
    ASSERT_EQ(fed.frames.size(), 1u);
}

TEST(FrameReader, BuffersAtMostOneHeaderAndOnePayload) {
    FrameReader reader(2048);
    Bytes in;
    for (int i = 0; i < 20; ++i) in = test::concat({in, test::data_frame(1, test::filled(2048, static_cast<std::uint8_t>(i)))});
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::size_t> size(1, 5000);
    const auto fed = feed(reader, in, [&] { return size(rng); });
    EXPECT_FALSE(fed.ec);
    EXPECT_EQ(fed.frames.size(), 20u);
    EXPECT_LE(fed.max_buffered, FrameHeader::kSize + 2048);
}

TEST(FrameReader, SetMaxPayloadAppliesToTheNextHeader) {
    FrameReader reader(100);
    const Bytes f = test::data_frame(1, test::filled(500));
    std::span<const std::uint8_t> in(f);
    FrameReader::Frame out;
    std::error_code ec;
    reader.set_max_payload(1000);
    ASSERT_TRUE(reader.next(in, out, ec));
    EXPECT_EQ(out.payload.size(), 500u);
    reader.set_max_payload(100);
    std::span<const std::uint8_t> in2(f);
    EXPECT_FALSE(reader.next(in2, out, ec));
    EXPECT_EQ(ec, Errc::frame_too_large);
}

}  // namespace
}  // namespace burrow::proto
