#include "crypto/record.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <string>
#include <vector>

namespace burrow::crypto {

struct RecordTestAccess {
    static void set_counter(RecordSealer& s, std::uint64_t counter) { s.counter_ = counter; }
    static void set_counter(RecordOpener& o, std::uint64_t counter) { o.counter_ = counter; }
    static void set_per_key(RecordSealer& s, std::uint64_t n) { s.per_key_ = n; }
    static void set_per_key(RecordOpener& o, std::uint64_t n) { o.per_key_ = n; }
};

namespace {

using Bytes = std::vector<std::uint8_t>;

class Records : public ::testing::TestWithParam<Cipher> {
protected:
    void SetUp() override {
        if (!(available_ciphers() & static_cast<std::uint8_t>(GetParam()))) GTEST_SKIP() << "cipher not available";
        randombytes_buf(key_.data(), key_.size());
        sealer_ = RecordSealer(GetParam(), E2eSecret(key_));
        opener_ = RecordOpener(GetParam(), E2eSecret(key_));
    }

    Bytes seal(const Bytes& plain) {
        Bytes wire;
        EXPECT_FALSE(sealer_.seal(plain, wire));
        return wire;
    }

    std::array<std::uint8_t, 32> key_{};
    RecordSealer sealer_;
    RecordOpener opener_;
};

Bytes pattern(std::size_t size) {
    Bytes b(size);
    for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::uint8_t>(i * 131 + (i >> 8));
    return b;
}

Bytes cat(const Bytes& a, const Bytes& b) {
    Bytes out = a;
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

TEST_P(Records, RoundTripsInAnySplit) {
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{16384}, std::size_t{16385},
                                   std::size_t{1} << 20}) {
        SCOPED_TRACE(size);
        const Bytes plain = pattern(size);
        sealer_ = RecordSealer(GetParam(), E2eSecret(key_));
        const Bytes wire = seal(plain);
        EXPECT_EQ(wire.size(), RecordSealer::sealed_size(size));
        for (const std::size_t chunk : {std::size_t{1}, std::size_t{1000}, wire.size() + 1}) {
            if (chunk == 1 && size > 20000) continue;
            RecordOpener opener(GetParam(), E2eSecret(key_));
            Bytes out;
            for (std::size_t at = 0; at < wire.size(); at += chunk) {
                const auto piece = std::span(wire).subspan(at, std::min(chunk, wire.size() - at));
                ASSERT_FALSE(opener.open(piece, out));
            }
            EXPECT_EQ(out, plain);
        }
    }
}

TEST_P(Records, SizesAndSplitting) {
    EXPECT_EQ(RecordSealer::sealed_size(0), 0u);
    EXPECT_EQ(RecordSealer::sealed_size(1), 19u);
    EXPECT_EQ(RecordSealer::sealed_size(16384), 16402u);
    EXPECT_EQ(RecordSealer::sealed_size(16385), 16402u + 19u);
    const Bytes wire = seal(pattern(16385));
    EXPECT_EQ(wire[0], 0x40);  // 16400
    EXPECT_EQ(wire[1], 0x10);
    EXPECT_EQ(wire[16402], 0x00);  // 17
    EXPECT_EQ(wire[16403], 0x11);
}

TEST_P(Records, MarkerNeverAppearsInCiphertext) {
    const std::string marker = "SECRET-MARKER-7f3a";
    Bytes plain;
    for (int i = 0; i < 3000; ++i) plain.insert(plain.end(), marker.begin(), marker.end());
    const Bytes wire = seal(plain);
    EXPECT_EQ(std::search(wire.begin(), wire.end(), marker.begin(), marker.end()), wire.end());
    const Bytes again = seal(Bytes(marker.begin(), marker.end()));
    EXPECT_EQ(std::search(again.begin(), again.end(), marker.begin(), marker.end()), again.end());
}

TEST_P(Records, AnyFlippedBitFailsAndCloses) {
    const Bytes plain = pattern(40);
    const Bytes first = seal(plain);
    const Bytes next = seal(pattern(16384));
    for (std::size_t bit = 0; bit < first.size() * 8; ++bit) {
        SCOPED_TRACE(bit);
        Bytes wire = cat(first, next);
        wire[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        RecordOpener opener(GetParam(), E2eSecret(key_));
        Bytes out;
        const auto ec = opener.open(wire, out);
        if (bit >= 16) {
            EXPECT_EQ(ec, E2eErrc::auth_failed);
        } else {
            EXPECT_TRUE(ec == E2eErrc::auth_failed || ec == E2eErrc::malformed || ec == E2eErrc::record_too_large)
                << ec.message();
        }
        EXPECT_TRUE(out.empty());
        EXPECT_EQ(opener.open(next, out), E2eErrc::closed);
        EXPECT_TRUE(out.empty());
    }
}

TEST_P(Records, ReplayFails) {
    const Bytes r0 = seal(pattern(10));
    Bytes out;
    ASSERT_FALSE(opener_.open(r0, out));
    EXPECT_EQ(opener_.open(r0, out), E2eErrc::auth_failed);
    EXPECT_EQ(out, pattern(10));
    EXPECT_EQ(opener_.open(seal(pattern(3)), out), E2eErrc::closed);
}

TEST_P(Records, ReorderFails) {
    const Bytes r0 = seal(pattern(10));
    const Bytes r1 = seal(pattern(11));
    Bytes out;
    EXPECT_EQ(opener_.open(cat(r1, r0), out), E2eErrc::auth_failed);
    EXPECT_TRUE(out.empty());
}

TEST_P(Records, DropFails) {
    const Bytes r0 = seal(pattern(10));
    seal(pattern(11));
    const Bytes r2 = seal(pattern(12));
    Bytes out;
    ASSERT_FALSE(opener_.open(r0, out));
    EXPECT_EQ(opener_.open(r2, out), E2eErrc::auth_failed);
    EXPECT_EQ(out, pattern(10));  // what came before the bad record stays
}

TEST_P(Records, TruncatedStreamJustWaits) {
    const Bytes wire = seal(pattern(16384));
    Bytes out;
    ASSERT_FALSE(opener_.open(std::span(wire).first(wire.size() - 1), out));
    EXPECT_TRUE(out.empty());
    ASSERT_FALSE(opener_.open(std::span(wire).last(1), out));
    EXPECT_EQ(out, pattern(16384));
}

TEST_P(Records, LengthOutOfRange) {
    for (const auto& [hi, lo, want] : {std::tuple{0x40, 0x11, E2eErrc::record_too_large},
                                      {0xff, 0xff, E2eErrc::record_too_large}, {0x00, 0x0f, E2eErrc::malformed},
                                      {0x00, 0x00, E2eErrc::malformed}}) {
        RecordOpener opener(GetParam(), E2eSecret(key_));
        Bytes out;
        EXPECT_EQ(opener.open(Bytes{static_cast<std::uint8_t>(hi)}, out), std::error_code{});
        EXPECT_EQ(opener.open(Bytes{static_cast<std::uint8_t>(lo)}, out), want);
        EXPECT_EQ(opener.open(Bytes{0, 17}, out), E2eErrc::closed);
    }
}

TEST_P(Records, EndOfStreamRecordEndsTheDirection) {
    Bytes wire = seal(pattern(1000));
    ASSERT_FALSE(sealer_.seal_close(wire));
    EXPECT_EQ(wire.size(), RecordSealer::sealed_size(1000) + RecordSealer::kOverhead);
    Bytes more;
    EXPECT_EQ(sealer_.seal(pattern(1), more), E2eErrc::closed);  // nothing may follow
    EXPECT_TRUE(more.empty());
    for (const std::size_t split : {std::size_t{1}, std::size_t{1019}, wire.size() - 1}) {
        RecordOpener opener(GetParam(), E2eSecret(key_));
        Bytes out;
        ASSERT_FALSE(opener.open(std::span(wire).first(split), out));
        EXPECT_FALSE(opener.peer_closed());
        ASSERT_FALSE(opener.open(std::span(wire).subspan(split), out));
        EXPECT_TRUE(opener.peer_closed());
        EXPECT_EQ(out, pattern(1000));
        EXPECT_EQ(opener.open(Bytes{0}, out), E2eErrc::malformed);  // bytes after the end
    }
}

TEST_P(Records, StreamCutShortLacksTheEndRecord) {
    const Bytes wire = seal(pattern(40000));
    Bytes out;
    ASSERT_FALSE(opener_.open(wire, out));
    EXPECT_EQ(out, pattern(40000));
    EXPECT_FALSE(opener_.peer_closed());
}

TEST_P(Records, ForgedEndRecordFails) {
    Bytes wire = seal(pattern(10));
    Bytes forged{0, 16};
    forged.resize(18, 0x5a);  // a tag the relay cannot compute
    wire.insert(wire.end(), forged.begin(), forged.end());
    Bytes out;
    EXPECT_EQ(opener_.open(wire, out), E2eErrc::auth_failed);
    EXPECT_FALSE(opener_.peer_closed());
}

TEST_P(Records, EndRecordCannotBeReplayedAsData) {
    // A close record moved before data fails: the counter is implicit.
    Bytes data = seal(pattern(10));
    Bytes close;
    ASSERT_FALSE(sealer_.seal_close(close));
    Bytes out;
    EXPECT_EQ(opener_.open(close, out), E2eErrc::auth_failed);
    EXPECT_FALSE(opener_.peer_closed());
}

TEST_P(Records, WrongKeyOrCipherFails) {
    const Bytes wire = seal(pattern(100));
    auto other_key = key_;
    other_key[0] ^= 1;
    RecordOpener wrong_key(GetParam(), E2eSecret(other_key));
    Bytes out;
    EXPECT_EQ(wrong_key.open(wire, out), E2eErrc::auth_failed);
    const Cipher other = GetParam() == Cipher::aes256gcm ? Cipher::chacha20poly1305 : Cipher::aes256gcm;
    if (!(available_ciphers() & static_cast<std::uint8_t>(other))) return;
    RecordOpener wrong_cipher(other, E2eSecret(key_));
    EXPECT_EQ(wrong_cipher.open(wire, out), E2eErrc::auth_failed);
}

TEST_P(Records, RecordLimit) {
    RecordTestAccess::set_counter(sealer_, RecordSealer::kMaxRecords - 1);
    RecordTestAccess::set_counter(opener_, RecordSealer::kMaxRecords - 1);
    Bytes wire;
    EXPECT_EQ(sealer_.seal(pattern(RecordSealer::kMaxPlain + 1), wire), E2eErrc::record_limit);
    EXPECT_TRUE(wire.empty());
    EXPECT_EQ(sealer_.seal(pattern(1), wire), E2eErrc::closed);

    RecordSealer last(GetParam(), E2eSecret(key_));
    RecordTestAccess::set_counter(last, RecordSealer::kMaxRecords - 1);
    ASSERT_FALSE(last.seal(pattern(5), wire));
    EXPECT_EQ(last.seal(pattern(5), wire), E2eErrc::record_limit);
    Bytes out;
    ASSERT_FALSE(opener_.open(wire, out));
    EXPECT_EQ(out, pattern(5));
    RecordTestAccess::set_counter(last, RecordSealer::kMaxRecords - 1);  // a peer that does not stop
    EXPECT_EQ(last.seal(pattern(5), wire), E2eErrc::closed);
    RecordSealer rogue(GetParam(), E2eSecret(key_));
    RecordTestAccess::set_counter(rogue, RecordSealer::kMaxRecords - 1);
    Bytes extra;
    ASSERT_FALSE(rogue.seal(pattern(5), extra));
    EXPECT_EQ(opener_.open(extra, out), E2eErrc::record_limit);
}

TEST_P(Records, AKeySealsAtMostRecordsPerKeyThenBothEndsRatchetInStep) {
    EXPECT_EQ(records_per_key(), kRecordsPerKey);
    EXPECT_EQ(kRecordsPerKey, std::uint64_t{1} << 24);
    RecordTestAccess::set_per_key(sealer_, 4);
    RecordTestAccess::set_per_key(opener_, 4);
    const Bytes plain = pattern(50 * RecordSealer::kMaxPlain + 7);  // 51 records: 12 new keys
    Bytes wire = seal(plain);
    ASSERT_FALSE(sealer_.seal_close(wire));
    Bytes out;
    ASSERT_FALSE(opener_.open(wire, out));
    EXPECT_EQ(out, plain);
    EXPECT_TRUE(opener_.peer_closed());
}

TEST_P(Records, TheRecordAfterTheLastOfAKeyIsSealedWithANewOne) {
    RecordSealer ratcheting(GetParam(), E2eSecret(key_));
    RecordTestAccess::set_per_key(ratcheting, 4);
    Bytes a, b;
    const Bytes plain = pattern(5 * RecordSealer::kMaxPlain);
    ASSERT_FALSE(ratcheting.seal(plain, a));
    ASSERT_FALSE(sealer_.seal(plain, b));  // the default: 2^24 records per key
    const std::size_t record = RecordSealer::sealed_size(RecordSealer::kMaxPlain);
    ASSERT_EQ(a.size(), 5 * record);
    EXPECT_TRUE(std::equal(a.begin(), a.begin() + 4 * record, b.begin()));
    EXPECT_FALSE(std::equal(a.begin() + 4 * record, a.end(), b.begin() + 4 * record));
    // An opener that does not ratchet there takes the fifth record for a forgery.
    Bytes out;
    EXPECT_EQ(opener_.open(a, out), E2eErrc::auth_failed);
    EXPECT_EQ(out, Bytes(plain.begin(), plain.begin() + 4 * RecordSealer::kMaxPlain));
}

TEST_P(Records, TheDefaultRatchetComesAtRecordTwoToThe24) {
    const std::uint64_t boundary = std::uint64_t{1} << 24;
    RecordTestAccess::set_counter(sealer_, boundary - 1);
    RecordTestAccess::set_counter(opener_, boundary - 1);
    const Bytes plain = pattern(3 * RecordSealer::kMaxPlain);
    const Bytes wire = seal(plain);
    Bytes out;
    ASSERT_FALSE(opener_.open(wire, out));
    EXPECT_EQ(out, plain);
    RecordOpener stale(GetParam(), E2eSecret(key_));  // keeps the first key past the boundary
    RecordTestAccess::set_counter(stale, boundary - 1);
    RecordTestAccess::set_per_key(stale, boundary * 2);
    out.clear();
    EXPECT_EQ(stale.open(wire, out), E2eErrc::auth_failed);
    EXPECT_EQ(out, Bytes(plain.begin(), plain.begin() + RecordSealer::kMaxPlain));
}

TEST_P(Records, ClosedWhenDefaultOrMovedFrom) {
    RecordSealer none;
    RecordOpener nothing;
    Bytes wire, out;
    EXPECT_EQ(none.seal(pattern(3), wire), E2eErrc::closed);
    EXPECT_EQ(nothing.open(Bytes{0, 17}, out), E2eErrc::closed);
    EXPECT_TRUE(wire.empty());

    const Bytes r0 = seal(pattern(3));
    RecordSealer moved = std::move(sealer_);
    EXPECT_EQ(sealer_.seal(pattern(3), wire), E2eErrc::closed);  // NOLINT(bugprone-use-after-move)
    ASSERT_FALSE(moved.seal(pattern(4), wire));
    RecordOpener opener = std::move(opener_);
    EXPECT_EQ(opener_.open(r0, out), E2eErrc::closed);  // NOLINT(bugprone-use-after-move)
    ASSERT_FALSE(opener.open(cat(r0, wire), out));  // the counter moved along
    EXPECT_EQ(out, cat(pattern(3), pattern(4)));
}

TEST_P(Records, PartialRecordIsKeptAcrossMove) {
    const Bytes wire = seal(pattern(100));
    Bytes out;
    ASSERT_FALSE(opener_.open(std::span(wire).first(50), out));
    RecordOpener opener = std::move(opener_);
    ASSERT_FALSE(opener.open(std::span(wire).subspan(50), out));
    EXPECT_EQ(out, pattern(100));
}

// Opens `wire` in pieces of `chunk` bytes into one buffer, as a link does.
Bytes open_in_place(RecordOpener& opener, const Bytes& wire, std::size_t chunk, std::error_code& ec) {
    Bytes buffer(wire.size() + 2 + RecordOpener::kMaxCipher);
    std::size_t at = 0;
    for (std::size_t from = 0; from < wire.size(); from += chunk) {
        const auto piece = std::span(wire).subspan(from, std::min(chunk, wire.size() - from));
        std::size_t written = 0;
        ec = opener.open(piece, std::span(buffer).subspan(at, opener.held() + piece.size()), written);
        at += written;
        if (ec) break;
    }
    buffer.resize(at);
    return buffer;
}

TEST_P(Records, OpensIntoACallersBufferInAnySplit) {
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{16384}, std::size_t{70000}}) {
        SCOPED_TRACE(size);
        const Bytes plain = pattern(size);
        sealer_ = RecordSealer(GetParam(), E2eSecret(key_));
        const Bytes wire = seal(plain);
        for (const std::size_t chunk : {std::size_t{1}, std::size_t{17}, std::size_t{16402}, wire.size() + 1}) {
            if (chunk == 1 && size > 20000) continue;
            RecordOpener opener(GetParam(), E2eSecret(key_));
            std::error_code ec;
            EXPECT_EQ(open_in_place(opener, wire, chunk, ec), plain);
            EXPECT_FALSE(ec) << ec.message();
        }
    }
}

TEST_P(Records, OpeningIntoABufferRejectsEveryFlippedBitAndWritesNothingOfThatRecord) {
    const Bytes first = seal(pattern(40));
    const Bytes second = seal(pattern(300));
    for (std::size_t bit = 0; bit < second.size() * 8; bit += 7) {
        SCOPED_TRACE(bit);
        Bytes wire = cat(first, second);
        wire[first.size() + bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        RecordOpener opener(GetParam(), E2eSecret(key_));
        std::error_code ec;
        const Bytes out = open_in_place(opener, wire, wire.size(), ec);
        if (bit >= 16)
            EXPECT_EQ(ec, E2eErrc::auth_failed);
        else if (!ec)  // a longer length: the record is not complete yet
            EXPECT_TRUE(opener.mid_record());
        else
            EXPECT_TRUE(ec == E2eErrc::auth_failed || ec == E2eErrc::malformed || ec == E2eErrc::record_too_large)
                << ec.message();
        EXPECT_EQ(out, pattern(40));  // the record before it, and nothing of the altered one
    }
}

TEST_P(Records, ABufferTooSmallForTheInputIsRefused) {
    const Bytes wire = seal(pattern(100));
    Bytes small(wire.size() - 1);
    std::size_t written = 99;
    EXPECT_EQ(opener_.open(wire, std::span(small), written), E2eErrc::malformed);
    EXPECT_EQ(written, 0u);
    EXPECT_EQ(opener_.open(wire, std::span(small), written), E2eErrc::closed);
}

TEST_P(Records, SealingIntoABufferGivesTheSameRecords) {
    const Bytes plain = pattern(40000);
    const Bytes expected = seal(plain);
    RecordSealer sealer(GetParam(), E2eSecret(key_));
    Bytes out(RecordSealer::sealed_size(plain.size()), 0xee);
    EXPECT_FALSE(sealer.seal(plain, std::span<std::uint8_t>(out)));
    EXPECT_EQ(out, expected);
}

TEST_P(Records, SealingIntoABufferOfAnotherSizeFailsAndCloses) {
    Bytes out(RecordSealer::sealed_size(100) + 1);
    EXPECT_EQ(sealer_.seal(pattern(100), std::span<std::uint8_t>(out)), E2eErrc::closed);
    Bytes more;
    EXPECT_EQ(sealer_.seal(pattern(1), more), E2eErrc::closed);
    EXPECT_TRUE(more.empty());
}

INSTANTIATE_TEST_SUITE_P(Ciphers, Records, ::testing::Values(Cipher::chacha20poly1305, Cipher::aes256gcm),
                         [](const auto& info) {
                             return info.param == Cipher::aes256gcm ? std::string("Aes256Gcm")
                                                                    : std::string("ChaCha20Poly1305");
                         });

}  // namespace
}  // namespace burrow::crypto
