#include "proto/resume_frames.hpp"

#include <gtest/gtest.h>

#include "proto/frame.hpp"
#include "proto/wire.hpp"

namespace burrow::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;

ResumeTicket sample_ticket() {
    ResumeTicket t;
    for (std::size_t i = 0; i < t.id.size(); ++i) t.id[i] = static_cast<std::uint8_t>(i + 1);
    for (std::size_t i = 0; i < t.secret.size(); ++i) t.secret[i] = static_cast<std::uint8_t>(0x80 + i);
    return t;
}

std::size_t needs(const Opening& o) { return std::get<NeedBytes>(o).total; }

TEST(ResumeFrames, ResumeParsesFromEveryPrefix) {
    const ResumeRequest sent{sample_ticket(), 0x0102030405060708ull};
    const Bytes wire = encode_resume(sent);
    ASSERT_EQ(wire.size(), FrameHeader::kSize + 56);
    for (std::size_t n = 0; n < wire.size(); ++n) {
        Opening o;
        ASSERT_FALSE(parse_opening(std::span(wire).first(n), o)) << n;
        ASSERT_GT(needs(o), n) << n;
        ASSERT_LE(needs(o), wire.size()) << n;
    }
    Opening o;
    ASSERT_FALSE(parse_opening(wire, o));
    const auto& got = std::get<ResumeRequest>(o);
    EXPECT_EQ(got.ticket, sent.ticket);
    EXPECT_EQ(got.received, sent.received);
}

TEST(ResumeFrames, AnyOtherFirstFrameIsANewSession) {
    Bytes hello;
    append_frame(hello, FrameType::hello, 0, 0, Bytes(12, 7));
    Opening o;
    ASSERT_FALSE(parse_opening(std::span(hello).first(9), o));
    EXPECT_EQ(needs(o), FrameHeader::kSize);
    ASSERT_FALSE(parse_opening(std::span(hello).first(FrameHeader::kSize), o));
    EXPECT_TRUE(std::holds_alternative<NewSession>(o));
}

TEST(ResumeFrames, MalformedResumeIsRefused) {
    const Bytes good = encode_resume(ResumeRequest{sample_ticket(), 5});
    Opening o;
    Bytes flags = good;
    flags[1] = 1;
    EXPECT_EQ(parse_opening(flags, o), Errc::malformed_frame);
    Bytes stream = good;
    stream[5] = 1;
    EXPECT_EQ(parse_opening(stream, o), Errc::malformed_frame);
    for (const std::uint32_t length : {0u, 55u, 57u, 0xffffffffu}) {
        Bytes wrong = good;
        store_be32(&wrong[6], length);
        EXPECT_EQ(parse_opening(wrong, o), Errc::malformed_frame) << length;
    }
    Bytes longer = good;
    longer.push_back(0);
    EXPECT_EQ(parse_opening(longer, o), Errc::protocol_error);
}

TEST(ResumeFrames, ResumedParsesFromEveryPrefix) {
    const Bytes wire = encode_resumed(123456789);
    for (std::size_t n = 0; n < wire.size(); ++n) {
        ResumeAnswer a;
        ASSERT_FALSE(parse_resume_answer(std::span(wire).first(n), a)) << n;
        ASSERT_GT(std::get<NeedBytes>(a).total, n);
    }
    ResumeAnswer a;
    ASSERT_FALSE(parse_resume_answer(wire, a));
    EXPECT_EQ(std::get<ResumeAccepted>(a).received, 123456789u);
}

TEST(ResumeFrames, RefusalCarriesCodeAndReasonCutToTheLimit) {
    ResumeAnswer a;
    ASSERT_FALSE(parse_resume_answer(encode_resume_refusal(Errc::session_closed, "no such session"), a));
    EXPECT_EQ(std::get<ResumeRefused>(a).code, Errc::session_closed);
    EXPECT_EQ(std::get<ResumeRefused>(a).reason, "no such session");
    const Bytes wire = encode_resume_refusal(Errc::not_authorized, std::string(2000, 'x'));
    ASSERT_FALSE(parse_resume_answer(wire, a));
    EXPECT_EQ(std::get<ResumeRefused>(a).reason.size(), kMaxReasonLen);
}

TEST(ResumeFrames, AHelloIsARefusal) {
    Bytes hello;
    append_frame(hello, FrameType::hello, 0, 0, Bytes(12, 0));
    ResumeAnswer a;
    ASSERT_FALSE(parse_resume_answer(std::span(hello).first(FrameHeader::kSize), a));
    EXPECT_EQ(std::get<ResumeRefused>(a).code, Errc::session_closed);
}

TEST(ResumeFrames, AnswersOtherThanResumedGoawayOrHelloAreErrors) {
    ResumeAnswer a;
    Bytes ping;
    append_frame(ping, FrameType::ping, 0, 0, Bytes(8, 0));
    EXPECT_EQ(parse_resume_answer(ping, a), Errc::protocol_error);
    Bytes short_resumed = encode_resumed(1);
    store_be32(&short_resumed[6], 7);
    EXPECT_EQ(parse_resume_answer(short_resumed, a), Errc::malformed_frame);
    Bytes huge_goaway = encode_resume_refusal(Errc::session_closed, "x");
    store_be32(&huge_goaway[6], 2 + kMaxReasonLen + 1);
    EXPECT_EQ(parse_resume_answer(huge_goaway, a), Errc::malformed_frame);
    Bytes empty_goaway = encode_resume_refusal(Errc::session_closed, "");
    store_be32(&empty_goaway[6], 1);
    EXPECT_EQ(parse_resume_answer(empty_goaway, a), Errc::malformed_frame);
    Bytes flagged = encode_resumed(1);
    flagged[1] = 0x80;
    EXPECT_EQ(parse_resume_answer(flagged, a), Errc::malformed_frame);
}

}  // namespace
}  // namespace burrow::proto
