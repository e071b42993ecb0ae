// The in-memory ByteStream pair the io tests run over: that it behaves like a
// connected socket, and that each injected fault happens where it was asked.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/memory_stream.hpp"
#include "tests/support/run_until.hpp"

namespace burrow::io::test {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

awaitable<void> write(ByteStream& s, const char* text) {
    const Bytes b = bytes(text);
    co_await s.write_all(b);
}

// Starts `task` and leaves it running.
template <class Task>
void start(asio::io_context& ctx, Task task) {
    asio::co_spawn(ctx, std::move(task), [](std::exception_ptr e) {
        if (e) ADD_FAILURE() << "a task threw";
    });
}

// Reads until end of stream; the error that ended it instead, if any.
awaitable<void> read_to_end(ByteStream& s, Bytes& got, error_code& ended, std::size_t chunk = 4096) {
    Bytes buf(chunk);
    try {
        for (;;) {
            const std::size_t n = co_await s.read_some(buf);
            if (n == 0) co_return;
            got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
        }
    } catch (const boost::system::system_error& e) {
        ended = e.code();
    }
}

// The code `body` threw as system_error; {} if it threw nothing.
template <class Body>
error_code code_of(asio::io_context& ctx, Body body) {
    error_code got;
    const std::string other = run_task(ctx, [&]() -> awaitable<void> {
        try {
            co_await body();
        } catch (const boost::system::system_error& e) {
            got = e.code();
        }
    });
    EXPECT_EQ(other, "");
    return got;
}

struct MemoryStreamTest : ::testing::Test {
    asio::io_context ctx;
    MemoryStreamPair pair = make_memory_stream_pair(ctx.get_executor());
    MemoryWire& wire = *pair.wire;

    // Starts reading b to its end and lets it park; b_done once it is over.
    void read_b_in_background() {
        start(ctx, [this]() -> awaitable<void> {
            co_await read_to_end(*pair.b, b_got, b_ended);
            b_done = true;
        });
        ctx.poll();
    }
    Bytes b_got;
    error_code b_ended;
    bool b_done = false;
};

TEST_F(MemoryStreamTest, BytesGoBothWaysAndEndWithEachSidesShutdown) {
    Bytes at_b, at_a;
    error_code b_error, a_error;
    EXPECT_EQ(run_task(ctx,
                       [&]() -> awaitable<void> {
                           co_await write(*pair.a, "hello ");
                           co_await write(*pair.a, "b");
                           pair.a->shutdown_send();
                           co_await read_to_end(*pair.b, at_b, b_error);
                           co_await write(*pair.b, "hello a");  // half-closed: b may still send
                           pair.b->shutdown_send();
                           co_await read_to_end(*pair.a, at_a, a_error);
                       }),
              "");
    EXPECT_EQ(at_b, bytes("hello b"));
    EXPECT_EQ(at_a, bytes("hello a"));
    EXPECT_FALSE(b_error);
    EXPECT_FALSE(a_error);
    EXPECT_EQ(wire.written(End::a), 7u);
    EXPECT_EQ(wire.writes(End::a), 2u);
}

TEST_F(MemoryStreamTest, TryReadSaysNothingYetUntilBytesArrive) {
    Bytes buf(16);
    EXPECT_EQ(pair.b->try_read(buf), std::nullopt);
    EXPECT_EQ(run_task(ctx, [&]() -> awaitable<void> { co_await write(*pair.a, "xyz"); }), "");
    EXPECT_EQ(pair.b->try_read(buf), 3u);
    EXPECT_EQ(pair.b->try_read(buf), std::nullopt);
}

TEST_F(MemoryStreamTest, AWaitingReaderWakesForBytes) {
    read_b_in_background();
    EXPECT_FALSE(b_done);
    EXPECT_EQ(run_task(ctx,
                       [&]() -> awaitable<void> {
                           co_await write(*pair.a, "late");
                           pair.a->shutdown_send();
                       }),
              "");
    EXPECT_TRUE(run_until(ctx, [&] { return b_done; }));
    EXPECT_EQ(b_got, bytes("late"));
    EXPECT_FALSE(b_ended);
}

TEST_F(MemoryStreamTest, CloseFailsAWaitOnTheSameEndAndThePeerReadsEndOfStream) {
    error_code waiting;
    bool wait_done = false;
    start(ctx, [&]() -> awaitable<void> {
        try {
            co_await pair.a->wait_readable();
        } catch (const boost::system::system_error& e) {
            waiting = e.code();
        }
        wait_done = true;
    });
    ctx.poll();
    pair.a->close();
    EXPECT_TRUE(run_until(ctx, [&] { return wait_done; }));
    EXPECT_EQ(waiting, asio::error::operation_aborted);
    Bytes buf(8);
    EXPECT_EQ(pair.b->try_read(buf), 0u);
    EXPECT_EQ(code_of(ctx, [&] { return write(*pair.b, "to nobody"); }), asio::error::broken_pipe);
    EXPECT_EQ(code_of(ctx, [&] { return write(*pair.a, "after close"); }), asio::error::bad_descriptor);
}

TEST_F(MemoryStreamTest, ResetLosesWhatThePeerHasNotReadAndItSeesConnectionReset) {
    EXPECT_EQ(run_task(ctx, [&]() -> awaitable<void> { co_await write(*pair.a, "unread"); }), "");
    pair.a->reset();
    Bytes got;
    error_code ended;
    EXPECT_EQ(run_task(ctx, [&]() -> awaitable<void> { co_await read_to_end(*pair.b, got, ended); }), "");
    EXPECT_TRUE(got.empty());
    EXPECT_EQ(ended, asio::error::connection_reset);
    EXPECT_TRUE(wire.reset_by(End::a));
}

TEST_F(MemoryStreamTest, TheNthReadFailsAndOnlyIt) {
    wire.faults(End::b).fail_read = 2;
    EXPECT_EQ(run_task(ctx, [&]() -> awaitable<void> { co_await write(*pair.a, "abc"); }), "");
    Bytes buf(1);
    EXPECT_EQ(pair.b->try_read(buf), 1u);
    try {
        (void)pair.b->try_read(buf);
        ADD_FAILURE() << "the second read did not fail";
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), boost::system::errc::io_error);
    }
    EXPECT_EQ(pair.b->try_read(buf), 1u);
    EXPECT_EQ(buf[0], 'b');  // the failed read took nothing
    EXPECT_EQ(wire.reads(End::b), 3u);
}

TEST_F(MemoryStreamTest, TheNthWriteFailsAndNothingOfItArrives) {
    wire.faults(End::a).fail_write = 2;
    EXPECT_EQ(code_of(ctx, [&] { return write(*pair.a, "one"); }), error_code());
    EXPECT_EQ(code_of(ctx, [&] { return write(*pair.a, "two"); }), boost::system::errc::io_error);
    EXPECT_EQ(code_of(ctx, [&] { return write(*pair.a, "three"); }), error_code());
    EXPECT_EQ(wire.in_flight(End::a), 8u);
    EXPECT_EQ(wire.written(End::a), 8u);
}

TEST_F(MemoryStreamTest, ACutDeliversTheBytesBeforeItThenEndOfStreamBothWays) {
    wire.faults(End::a).cut_after = 5;
    EXPECT_EQ(code_of(ctx, [&] { return write(*pair.a, "abc"); }), error_code());
    EXPECT_EQ(code_of(ctx, [&] { return write(*pair.a, "defgh"); }), asio::error::broken_pipe);
    Bytes at_b, at_a;
    error_code b_error, a_error;
    EXPECT_EQ(run_task(ctx,
                       [&]() -> awaitable<void> {
                           co_await read_to_end(*pair.b, at_b, b_error);
                           co_await read_to_end(*pair.a, at_a, a_error);
                       }),
              "");
    EXPECT_EQ(at_b, bytes("abcde"));
    EXPECT_FALSE(b_error);
    EXPECT_TRUE(at_a.empty());
    EXPECT_FALSE(a_error);
    EXPECT_EQ(code_of(ctx, [&] { return write(*pair.b, "x"); }), asio::error::broken_pipe);
}

TEST_F(MemoryStreamTest, ACutWithResetEndsThePeersReadWithConnectionReset) {
    wire.faults(End::a).cut_after = 4;
    wire.faults(End::a).cut_resets = true;
    EXPECT_EQ(code_of(ctx, [&] { return write(*pair.a, "frame!"); }), asio::error::connection_reset);
    Bytes got;
    error_code ended;
    EXPECT_EQ(run_task(ctx, [&]() -> awaitable<void> { co_await read_to_end(*pair.b, got, ended); }), "");
    EXPECT_EQ(got, bytes("fram"));
    EXPECT_EQ(ended, asio::error::connection_reset);
}

TEST_F(MemoryStreamTest, AStalledWriteEndsOnlyWhenTheStreamCloses) {
    wire.faults(End::a).stall_write = 1;
    error_code stalled;
    bool write_done = false;
    start(ctx, [&]() -> awaitable<void> {
        try {
            co_await write(*pair.a, "stuck");
        } catch (const boost::system::system_error& e) {
            stalled = e.code();
        }
        write_done = true;
    });
    ctx.poll();
    EXPECT_FALSE(write_done);
    EXPECT_EQ(wire.in_flight(End::a), 0u);
    // b still gets through to a meanwhile
    EXPECT_EQ(run_task(ctx, [&]() -> awaitable<void> { co_await write(*pair.b, "ok"); }), "");
    EXPECT_EQ(wire.in_flight(End::b), 2u);
    EXPECT_FALSE(write_done);
    pair.a->close();
    EXPECT_TRUE(run_until(ctx, [&] { return write_done; }));
    EXPECT_EQ(stalled, asio::error::operation_aborted);
}

TEST_F(MemoryStreamTest, OneByteReadsHandOverOneByteAtATime) {
    wire.faults(End::b).one_byte_reads = true;
    Bytes got;
    error_code ended;
    EXPECT_EQ(run_task(ctx,
                       [&]() -> awaitable<void> {
                           co_await write(*pair.a, "split me");
                           pair.a->shutdown_send();
                           co_await read_to_end(*pair.b, got, ended);
                       }),
              "");
    EXPECT_EQ(got, bytes("split me"));
    EXPECT_EQ(wire.reads(End::b), 9u);  // eight bytes, then the end
}

TEST_F(MemoryStreamTest, ACutFromTheTestWakesAWaitingReader) {
    read_b_in_background();
    wire.cut(true);
    EXPECT_TRUE(run_until(ctx, [&] { return b_done; }));
    EXPECT_EQ(b_ended, asio::error::connection_reset);
    EXPECT_EQ(pair.a->describe(), "memory a");
}

}  // namespace
}  // namespace burrow::io::test
