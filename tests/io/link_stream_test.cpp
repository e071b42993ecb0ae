// io::make_link_stream over a real loopback TCP connection and over the
// in-memory pair: what arrives, and how altered, cut-short or failed bytes
// end the link.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "io/link_stream.hpp"
#include "io/spawn.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/memory_stream.hpp"
#include "tests/support/run_until.hpp"

namespace burrow::io {
namespace {

using crypto::Cipher;
using crypto::E2eSecret;
using crypto::LinkKeys;
using crypto::RecordOpener;
using crypto::RecordSealer;
using Bytes = std::vector<std::uint8_t>;

E2eSecret key(std::uint8_t fill) {
    std::array<std::uint8_t, E2eSecret::kSize> bytes;
    bytes.fill(fill);
    return E2eSecret(bytes);
}

// Keys of one side; the other side is `!first`.
LinkKeys keys(bool first) {
    return {RecordSealer(Cipher::aes256gcm, key(first ? 1 : 2)), RecordOpener(Cipher::aes256gcm, key(first ? 2 : 1))};
}

Bytes sealed(const Bytes& plain) {
    RecordSealer sealer(Cipher::aes256gcm, key(1));
    Bytes wire;
    EXPECT_FALSE(sealer.seal(plain, wire));
    return wire;
}

Bytes pattern(std::size_t n) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
    return out;
}

struct Connected {
    asio::io_context ctx;
    test::LoopbackPair pair = test::loopback_pair(ctx);
    tcp::socket& a = pair.client;
    tcp::socket& b = pair.server;
};

// Reads `link` to its end with a buffer of `chunk` bytes; "" or the error that ended it.
std::string read_all(asio::io_context& ctx, ByteStream& link, Bytes& got, std::size_t chunk) {
    std::string error = "(still reading)";
    asio::co_spawn(
        ctx,
        [&]() -> awaitable<void> {
            Bytes buf(chunk);
            for (;;) {
                const std::size_t n = co_await link.read_some(buf);
                if (n == 0) break;
                got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
            }
        },
        [&](std::exception_ptr e) {
            error.clear();
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                error = ex.what();
            }
        });
    ctx.restart();  // an io_context stops when it runs out of work
    ctx.run_for(std::chrono::seconds(10));
    return error;
}

TEST(LinkStream, BytesArriveWholeThroughASmallReadBuffer) {
    Connected c;
    auto sender = make_link_stream(std::make_unique<TcpByteStream>(std::move(c.a)), keys(true));
    auto receiver = make_link_stream(std::make_unique<TcpByteStream>(std::move(c.b)), keys(false));
    const Bytes data = pattern(300 * 1024);
    spawn(
        c.ctx.get_executor(),
        [&]() -> awaitable<void> {
            co_await sender->write_all(Bytes(data.begin(), data.begin() + 1));
            co_await sender->write_all(Bytes(data.begin() + 1, data.end()));
            sender->shutdown_send();
        },
        "sender", [](const std::string& what) { ADD_FAILURE() << "sender: " << what; });
    Bytes got;
    EXPECT_EQ(read_all(c.ctx, *receiver, got, 1000), "");
    EXPECT_EQ(got, data);
}

TEST(LinkStream, TheWireCarriesRecordsNotPlaintext) {
    Connected c;
    auto sender = make_link_stream(std::make_unique<TcpByteStream>(std::move(c.a)), keys(true));
    const Bytes data = pattern(5000);
    spawn(
        c.ctx.get_executor(),
        [&]() -> awaitable<void> {
            co_await sender->write_all(data);
            sender->shutdown_send();
        },
        "sender", [](const std::string& what) { ADD_FAILURE() << "sender: " << what; });
    auto raw = std::make_unique<TcpByteStream>(std::move(c.b));
    Bytes wire;
    EXPECT_EQ(read_all(c.ctx, *raw, wire, 65536), "");
    EXPECT_EQ(wire, sealed(data));
}

TEST(LinkStream, AnAlteredRecordEndsTheLink) {
    Connected c;
    Bytes wire = sealed(pattern(100));
    wire[50] ^= 1;
    asio::write(c.a, asio::buffer(wire));
    c.a.shutdown(tcp::socket::shutdown_send);
    auto receiver = make_link_stream(std::make_unique<TcpByteStream>(std::move(c.b)), keys(false));
    Bytes got;
    EXPECT_EQ(read_all(c.ctx, *receiver, got, 65536),
              "link: a record failed authentication (altered or injected on the way)");
    EXPECT_TRUE(got.empty());
}

TEST(LinkStream, ACloseInsideARecordIsAnErrorNotAnEnd) {
    Connected c;
    Bytes wire = sealed(pattern(100));
    const Bytes first = sealed(pattern(10));
    wire.insert(wire.begin(), first.begin(), first.end());
    wire.pop_back();  // the second record lacks its last byte
    asio::write(c.a, asio::buffer(wire));
    c.a.shutdown(tcp::socket::shutdown_send);
    auto receiver = make_link_stream(std::make_unique<TcpByteStream>(std::move(c.b)), keys(false));
    Bytes got;
    EXPECT_EQ(read_all(c.ctx, *receiver, got, 65536), "link: the connection ended in the middle of a record");
}

TEST(LinkStream, ARecordAboveTheLimitEndsTheLink) {
    Connected c;
    const Bytes wire = {0x40, 0x20, 0, 0, 0};  // length 16416 > 16400
    asio::write(c.a, asio::buffer(wire));
    auto receiver = make_link_stream(std::make_unique<TcpByteStream>(std::move(c.b)), keys(false));
    Bytes got;
    EXPECT_EQ(read_all(c.ctx, *receiver, got, 65536), "link: a record is larger than allowed");
}

struct OverMemory {
    asio::io_context ctx;
    test::MemoryStreamPair pair = test::make_memory_stream_pair(ctx.get_executor());
    test::MemoryWire& wire = *pair.wire;
    std::unique_ptr<ByteStream> sender = make_link_stream(std::move(pair.a), keys(true));
    std::unique_ptr<ByteStream> receiver = make_link_stream(std::move(pair.b), keys(false));

    // A receiver whose peer writes raw bytes, not records.
    test::MemoryStreamPair raw = test::make_memory_stream_pair(ctx.get_executor());
    std::unique_ptr<ByteStream> raw_receiver = make_link_stream(std::move(raw.b), keys(false));
    void put_raw(const Bytes& wire) {
        EXPECT_EQ(test::run_task(ctx, [&]() -> awaitable<void> { co_await raw.a->write_all(wire); }), "");
    }

    std::string send(const Bytes& data, bool then_shutdown) {
        return test::run_task(ctx, [&]() -> awaitable<void> {
            co_await sender->write_all(data);
            if (then_shutdown) sender->shutdown_send();
        });
    }
};

TEST(LinkStream, RecordsHandedOverOneByteAtATimeArriveWhole) {
    OverMemory m;
    m.wire.faults(test::End::b).one_byte_reads = true;
    const Bytes data = pattern(40 * 1024);
    EXPECT_EQ(m.send(data, true), "");
    Bytes got;
    EXPECT_EQ(read_all(m.ctx, *m.receiver, got, 4096), "");
    EXPECT_EQ(got, data);
}

TEST(LinkStream, AResetInsideARecordIsAnError) {
    OverMemory m;
    m.wire.faults(test::End::a).cut_after = 30;
    m.wire.faults(test::End::a).cut_resets = true;
    EXPECT_NE(m.send(pattern(100), false).find("Connection reset"), std::string::npos);
    Bytes got;
    EXPECT_NE(read_all(m.ctx, *m.receiver, got, 65536).find("Connection reset"), std::string::npos);
    EXPECT_TRUE(got.empty());
}

TEST(LinkStream, APeerThatClosesInsideARecordIsAnError) {
    OverMemory m;
    m.wire.faults(test::End::a).cut_after = 30;
    EXPECT_NE(m.send(pattern(100), false), "");
    Bytes got;
    EXPECT_EQ(read_all(m.ctx, *m.receiver, got, 65536), "link: the connection ended in the middle of a record");
    EXPECT_TRUE(got.empty());
}

TEST(LinkStream, AFailedWriteIsThrownAndNothingReachesThePeer) {
    OverMemory m;
    m.wire.faults(test::End::a).fail_write = 1;
    EXPECT_NE(m.send(pattern(100), false).find("injected write failure"), std::string::npos);
    EXPECT_EQ(m.wire.in_flight(test::End::a), 0u);
}

TEST(LinkStream, AFailedReadIsThrown) {
    OverMemory m;
    m.wire.faults(test::End::b).fail_read = 1;
    EXPECT_EQ(m.send(pattern(100), true), "");
    Bytes got;
    EXPECT_NE(read_all(m.ctx, *m.receiver, got, 65536).find("injected read failure"), std::string::npos);
}

TEST(LinkStream, ARecordLengthAboveTheLimitEndsTheLinkOverAnyTransport) {
    OverMemory m;
    const Bytes wire = {0x7f, 0xff, 0xff, 0xff, 0};
    m.put_raw(wire);
    Bytes got;
    EXPECT_EQ(read_all(m.ctx, *m.raw_receiver, got, 65536), "link: a record is larger than allowed");
}

TEST(LinkStream, ARecordLengthBelowATagIsMalformed) {
    OverMemory m;
    const Bytes wire = {0x00, 0x05, 1, 2, 3, 4, 5};
    m.put_raw(wire);
    Bytes got;
    EXPECT_EQ(read_all(m.ctx, *m.raw_receiver, got, 65536), "link: a record is malformed");
}

TEST(LinkStream, AfterAFailedRecordNothingMoreIsOpened) {
    OverMemory m;
    Bytes altered = sealed(pattern(10));
    altered[5] ^= 1;
    m.put_raw(altered);
    Bytes got;
    EXPECT_EQ(read_all(m.ctx, *m.raw_receiver, got, 65536),
              "link: a record failed authentication (altered or injected on the way)");
    const Bytes next = {0x00, 0x10};
    m.put_raw(next);
    EXPECT_EQ(read_all(m.ctx, *m.raw_receiver, got, 65536), "link: the link is closed after an earlier error");
    EXPECT_TRUE(got.empty());
}

TEST(LinkStream, CloseAndResetReachTheTransport) {
    OverMemory m;
    m.sender->reset();
    EXPECT_TRUE(m.wire.reset_by(test::End::a));
    m.receiver->close();
    EXPECT_TRUE(m.wire.closed(test::End::b));
    EXPECT_EQ(m.receiver->describe(), "memory b");
}

}  // namespace
}  // namespace burrow::io
