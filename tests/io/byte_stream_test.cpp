// io::TcpByteStream on loopback TCP: half-close, and a peer that resets.
#include <gtest/gtest.h>

#include <vector>

#include "io/byte_stream.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/run_until.hpp"

namespace burrow::io {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct TcpPair {
    asio::io_context ctx;
    std::unique_ptr<TcpByteStream> a;
    std::unique_ptr<TcpByteStream> b;
    TcpPair() {
        auto link = test::loopback_pair(ctx);
        a = std::make_unique<TcpByteStream>(std::move(link.client));
        b = std::make_unique<TcpByteStream>(std::move(link.server));
    }
};

TEST(TcpByteStream, AHalfCloseEndsOneDirectionOnly) {
    TcpPair p;
    const Bytes ask = {'?'};
    const Bytes answer = {'4', '2'};
    Bytes at_b(8), at_a(8);
    std::size_t b_got = 0, b_end = 1, a_got = 0;
    EXPECT_EQ(test::run_task(p.ctx,
                             [&]() -> awaitable<void> {
                                 co_await p.a->write_all(ask);
                                 p.a->shutdown_send();
                                 b_got = co_await p.b->read_some(at_b);
                                 b_end = co_await p.b->read_some(at_b);
                                 co_await p.b->write_all(answer);
                                 a_got = co_await p.a->read_some(at_a);
                             }),
              "");
    EXPECT_EQ(b_got, 1u);
    EXPECT_EQ(b_end, 0u);
    EXPECT_EQ(a_got, 2u);
    EXPECT_EQ(p.a->describe(), to_string(p.b->socket().local_endpoint()));
}

TEST(TcpByteStream, APeerResetIsAnErrorNotAnEnd) {
    TcpPair p;
    const Bytes unread = {'x', 'y'};
    EXPECT_EQ(test::run_task(p.ctx, [&]() -> awaitable<void> { co_await p.b->write_all(unread); }), "");
    p.a->reset();  // with bytes unread: the peer gets RST
    Bytes buf(8);
    const std::string failure = test::run_task(p.ctx, [&]() -> awaitable<void> {
        for (;;)
            if (co_await p.b->read_some(buf) == 0) co_return;
    });
    EXPECT_NE(failure.find("Connection reset"), std::string::npos) << failure;
}

}  // namespace
}  // namespace burrow::io
