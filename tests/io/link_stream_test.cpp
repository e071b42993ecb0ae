// io::make_link_stream over a real loopback TCP connection: what arrives, and
// how altered or cut-short bytes end the link.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "io/link_stream.hpp"
#include "io/spawn.hpp"

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
    tcp::socket a{ctx};
    tcp::socket b{ctx};
    Connected() {
        tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
        a.connect(acceptor.local_endpoint());
        acceptor.accept(b);
    }
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

}  // namespace
}  // namespace burrow::io
