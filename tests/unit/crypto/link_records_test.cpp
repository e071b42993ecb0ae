// LinkSealer / LinkOpener: frames in link records, end-to-end payloads between
// them as they are (docs/PROTOCOL.md §1.3).
#include "crypto/link_records.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <string_view>
#include <vector>

namespace burrow::crypto {
namespace {

using Bytes = std::vector<std::uint8_t>;
using proto::FrameHeader;
using proto::FrameType;

void add_frame(Bytes& out, FrameType type, std::uint8_t flags, const Bytes& payload) {
    std::uint8_t header[FrameHeader::kSize];
    FrameHeader{type, flags, 1, static_cast<std::uint32_t>(payload.size())}.encode(header);
    out.insert(out.end(), header, header + FrameHeader::kSize);
    out.insert(out.end(), payload.begin(), payload.end());
}

Bytes text(std::string_view s, std::size_t repeat = 1) {
    Bytes out;
    for (std::size_t i = 0; i < repeat; ++i) out.insert(out.end(), s.begin(), s.end());
    return out;
}

constexpr std::string_view kSealedMark = "SEALED-MARK";
constexpr std::string_view kRawMark = "E2E-RECORDS";

// What a session sends: frames whose bytes are sealed, and two end-to-end payloads.
struct Sample {
    Bytes bytes;
    std::vector<std::pair<std::size_t, std::size_t>> raw;  // [begin, end) of end-to-end payloads
};

Sample sample(std::size_t raw_repeat = 3) {
    Sample s;
    add_frame(s.bytes, FrameType::hello, 0, Bytes(12, 1));
    add_frame(s.bytes, FrameType::data, 0, text(kSealedMark, 2));  // handshake bytes
    add_frame(s.bytes, FrameType::data, proto::kFlagE2e, text(kRawMark, raw_repeat));
    s.raw.emplace_back(s.bytes.size() - kRawMark.size() * raw_repeat, s.bytes.size());
    add_frame(s.bytes, FrameType::window, 0, Bytes(4, 2));
    add_frame(s.bytes, FrameType::control, 0, text(kSealedMark));
    add_frame(s.bytes, FrameType::data, proto::kFlagE2e | proto::kFlagFin, text(kRawMark));
    s.raw.emplace_back(s.bytes.size() - kRawMark.size(), s.bytes.size());
    add_frame(s.bytes, FrameType::data, proto::kFlagE2e | proto::kFlagFin, {});
    return s;
}

std::size_t count(const Bytes& hay, std::string_view needle) {
    std::size_t n = 0;
    for (auto it = hay.begin(); (it = std::search(it, hay.end(), needle.begin(), needle.end())) != hay.end(); ++it) ++n;
    return n;
}

class LinkRecords : public ::testing::TestWithParam<Cipher> {
protected:
    void SetUp() override {
        if (!(available_ciphers() & static_cast<std::uint8_t>(GetParam()))) GTEST_SKIP() << "cipher not available";
        randombytes_buf(key_.data(), key_.size());
    }
    LinkSealer sealer() const { return LinkSealer(RecordSealer(GetParam(), E2eSecret(key_))); }
    LinkOpener opener() const { return LinkOpener(RecordOpener(GetParam(), E2eSecret(key_))); }

    // Seals `in` handed over in pieces of `piece` bytes.
    Bytes seal(const Bytes& in, std::size_t piece) const {
        LinkSealer s = sealer();
        Bytes wire;
        for (std::size_t at = 0; at < in.size(); at += piece) {
            const auto part = std::span<const std::uint8_t>(in).subspan(at, std::min(piece, in.size() - at));
            const std::size_t n = s.wire_size(part);
            const std::size_t start = wire.size();
            wire.resize(start + n);
            EXPECT_FALSE(s.seal(part, std::span<std::uint8_t>(wire).subspan(start)));
        }
        return wire;
    }

    // Opens `wire` read in pieces of `piece` bytes; `ec` is the first error.
    static Bytes open(LinkOpener& o, const Bytes& wire, std::size_t piece, std::error_code& ec) {
        Bytes out;
        for (std::size_t at = 0; at < wire.size() && !ec; at += piece)
            ec = o.open(std::span<const std::uint8_t>(wire).subspan(at, std::min(piece, wire.size() - at)), out);
        return out;
    }

    std::array<std::uint8_t, 32> key_{};
};

INSTANTIATE_TEST_SUITE_P(Ciphers, LinkRecords, ::testing::Values(Cipher::chacha20poly1305, Cipher::aes256gcm),
                         [](const auto& info) {
                             return info.param == Cipher::chacha20poly1305 ? "ChaCha20Poly1305" : "Aes256Gcm";
                         });

TEST_P(LinkRecords, RoundTripsInEverySplitOfWriterAndReader) {
    const Sample s = sample();
    for (std::size_t write = 1; write <= s.bytes.size(); ++write) {
        const Bytes wire = seal(s.bytes, write);
        for (const std::size_t read : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{29}, wire.size()}) {
            LinkOpener o = opener();
            std::error_code ec;
            EXPECT_EQ(open(o, wire, read, ec), s.bytes) << "writes of " << write << ", reads of " << read;
            EXPECT_FALSE(ec);
            EXPECT_FALSE(o.mid_record());
        }
    }
    const Bytes wire = seal(s.bytes, s.bytes.size());
    for (std::size_t read = 1; read <= wire.size(); ++read) {
        LinkOpener o = opener();
        std::error_code ec;
        EXPECT_EQ(open(o, wire, read, ec), s.bytes) << "reads of " << read;
        EXPECT_FALSE(ec);
    }
}

TEST_P(LinkRecords, SealsEveryHeaderAndEveryOtherPayloadAndPassesEndToEndPayloadsAsTheyAre) {
    const Sample s = sample();
    const Bytes wire = seal(s.bytes, s.bytes.size());
    EXPECT_EQ(count(wire, kSealedMark), 0u);
    EXPECT_EQ(count(wire, kRawMark), 4u);  // 3 + 1, where they were
    // Every header in its own record (each end-to-end payload needs a record
    // to end right after its header): 7 frames, 4 records, 18 bytes each.
    const std::size_t raw = (s.raw[0].second - s.raw[0].first) + (s.raw[1].second - s.raw[1].first);
    EXPECT_EQ(wire.size(), s.bytes.size() + 3 * RecordSealer::kOverhead);
    EXPECT_EQ(sealer().wire_size(s.bytes), wire.size());
    EXPECT_GT(raw, 0u);
}

TEST_P(LinkRecords, ARawPayloadLongerThanARecordPassesWhole) {
    Bytes in;
    const Bytes big = text("0123456789abcdef", 5000);  // 80000 bytes, above any record
    add_frame(in, FrameType::data, proto::kFlagE2e, big);
    add_frame(in, FrameType::ping, 0, Bytes(8, 3));
    const Bytes wire = seal(in, 4096);
    EXPECT_EQ(wire.size(), in.size() + 2 * RecordSealer::kOverhead);
    LinkOpener o = opener();
    std::error_code ec;
    EXPECT_EQ(open(o, wire, 1000, ec), in);
    EXPECT_FALSE(ec);
}

TEST_P(LinkRecords, EveryFlippedBitOfASealedByteEndsTheLinkAndAlteredBytesAreNeverDelivered) {
    const Sample s = sample(1);
    const Bytes wire = seal(s.bytes, s.bytes.size());
    // Where each wire byte of a raw payload sits in the session bytes.
    std::vector<std::ptrdiff_t> session_at(wire.size(), -1);
    {
        const auto first = std::search(wire.begin(), wire.end(), kRawMark.begin(), kRawMark.end());
        const auto second = std::search(first + 1, wire.end(), kRawMark.begin(), kRawMark.end());
        for (std::size_t i = 0; i < kRawMark.size(); ++i) {
            session_at[static_cast<std::size_t>(first - wire.begin()) + i] = static_cast<std::ptrdiff_t>(s.raw[0].first + i);
            session_at[static_cast<std::size_t>(second - wire.begin()) + i] = static_cast<std::ptrdiff_t>(s.raw[1].first + i);
        }
    }
    for (std::size_t bit = 0; bit < wire.size() * 8; ++bit) {
        Bytes bad = wire;
        bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        for (const std::size_t read : {std::size_t{1}, wire.size()}) {
            LinkOpener o = opener();
            std::error_code ec;
            const Bytes got = open(o, bad, read, ec);
            const auto at = session_at[bit / 8];
            if (at >= 0) {
                // An end-to-end payload: the link passes it on, altered; the
                // end-to-end records it carries fail there (stream reset).
                Bytes want = s.bytes;
                want[static_cast<std::size_t>(at)] ^= static_cast<std::uint8_t>(1u << (bit % 8));
                EXPECT_FALSE(ec) << "bit " << bit;
                EXPECT_EQ(got, want) << "bit " << bit;
            } else {
                // Fails, or (a length made larger) still waits for the
                // record's end when the connection ends: an error too.
                EXPECT_TRUE(ec || o.mid_record()) << "bit " << bit;
                ASSERT_LE(got.size(), s.bytes.size());
                EXPECT_TRUE(std::equal(got.begin(), got.end(), s.bytes.begin())) << "bit " << bit;
                if (ec) {
                    Bytes more;
                    EXPECT_EQ(o.open(wire, more), E2eErrc::closed);
                    EXPECT_TRUE(more.empty());
                }
            }
        }
    }
}

TEST_P(LinkRecords, ARecordThatGoesOnPastAnEndToEndHeaderIsMalformed) {
    Bytes in;
    add_frame(in, FrameType::data, proto::kFlagE2e, text("xyz"));
    RecordSealer plain_sealer(GetParam(), E2eSecret(key_));
    Bytes wire;
    ASSERT_FALSE(plain_sealer.seal(in, wire));  // header and payload in one record
    LinkOpener o = opener();
    Bytes out;
    EXPECT_EQ(o.open(wire, out), E2eErrc::malformed);
    EXPECT_TRUE(out.empty());
}

TEST_P(LinkRecords, AMissingPayloadIsReadAsItAndTheNextRecordFails) {
    Bytes in;
    add_frame(in, FrameType::data, proto::kFlagE2e, text("payload"));
    add_frame(in, FrameType::ping, 0, Bytes(8, 4));
    Bytes wire = seal(in, in.size());
    const auto at = std::search(wire.begin(), wire.end(), kRawMark.begin(), kRawMark.end());
    EXPECT_EQ(at, wire.end());
    const Bytes payload = text("payload");
    const auto p = std::search(wire.begin(), wire.end(), payload.begin(), payload.end());
    ASSERT_NE(p, wire.end());
    wire.erase(p, p + static_cast<std::ptrdiff_t>(payload.size()));
    LinkOpener o = opener();
    std::error_code ec;
    const Bytes got = open(o, wire, wire.size(), ec);
    EXPECT_TRUE(ec || o.mid_record());
    EXPECT_LE(got.size(), FrameHeader::kSize + payload.size());
}

TEST_P(LinkRecords, TellsHowMuchEndToEndPayloadIsDueForReadingItStraight) {
    Bytes in;
    add_frame(in, FrameType::data, proto::kFlagE2e, text("0123456789"));
    add_frame(in, FrameType::ping, 0, Bytes(8, 5));
    const Bytes wire = seal(in, in.size());
    const std::size_t header_record = FrameHeader::kSize + RecordSealer::kOverhead;
    LinkOpener o = opener();
    Bytes out;
    ASSERT_FALSE(o.open(std::span<const std::uint8_t>(wire).first(header_record), out));
    EXPECT_EQ(out.size(), FrameHeader::kSize);
    EXPECT_EQ(o.raw_due(), 10u);
    EXPECT_TRUE(o.mid_record());  // a cut here is a cut in the middle of a frame
    o.passed_raw(4);              // the caller read 4 payload bytes itself
    EXPECT_EQ(o.raw_due(), 6u);
    out.clear();
    ASSERT_FALSE(o.open(std::span<const std::uint8_t>(wire).subspan(header_record + 4), out));
    EXPECT_EQ(out.size(), 6u + FrameHeader::kSize + 8u);
    EXPECT_EQ(o.raw_due(), 0u);
    EXPECT_FALSE(o.mid_record());
}

TEST_P(LinkRecords, ABufferTooSmallIsRefused) {
    const Sample s = sample();
    const Bytes wire = seal(s.bytes, s.bytes.size());
    LinkOpener o = opener();
    Bytes out(wire.size() - 1);
    std::size_t written = 0;
    EXPECT_EQ(o.open(wire, out, written), E2eErrc::malformed);
    EXPECT_EQ(written, 0u);
}

TEST_P(LinkRecords, SealingIntoABufferOfAnotherSizeFailsAndCloses) {
    const Sample s = sample();
    LinkSealer sl = sealer();
    Bytes out(sl.wire_size(s.bytes) + 1);
    EXPECT_EQ(sl.seal(s.bytes, out), E2eErrc::closed);
    out.resize(sl.wire_size(s.bytes));
    EXPECT_EQ(sl.seal(s.bytes, out), E2eErrc::closed);
}

}  // namespace
}  // namespace burrow::crypto
