// io::TcpByteStream on loopback TCP: half-close, and a peer that resets.
// io::StdioByteStream over pipes, in a child whose stdin and stdout they are.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <string>
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

// What `fd` gives until its end; stops early if nothing comes for 30 s (a hang).
std::string read_to_end(int fd) {
    std::string got;
    char buf[512];
    for (;;) {
        pollfd wait{fd, POLLIN, 0};
        if (::poll(&wait, 1, 30'000) == 0) return got + "(hung)";
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0)
            got.append(buf, static_cast<std::size_t>(n));
        else if (n == 0 || errno != EINTR)
            return got;
    }
}

// Runs `body` in a forked child whose stdin is `in` and stdout is `out` (and
// no other descriptor of theirs), with SIGPIPE ignored, while this process
// runs `meanwhile`; returns what `body` returned there, or what went wrong.
std::string in_child_with_stdio(int in, int out, const std::function<std::string(asio::io_context&)>& body,
                                const std::function<void()>& meanwhile = {}) {
    int report[2];
    if (::pipe(report) != 0) return "pipe failed";
    const pid_t pid = ::fork();
    if (pid < 0) return "fork failed";
    if (pid == 0) {
        ::signal(SIGPIPE, SIG_IGN);
        ::close(report[0]);
        if (::dup2(in, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0) ::_exit(2);
        ::close(in);
        ::close(out);
        std::string said;
        try {
            asio::io_context ctx;
            said = body(ctx);
        } catch (const std::exception& e) {
            said = std::string("threw outside the stream: ") + e.what();
        }
        (void)!::write(report[1], said.data(), said.size());
        ::_exit(0);
    }
    ::close(report[1]);
    if (meanwhile) meanwhile();
    const std::string said = read_to_end(report[0]);
    ::close(report[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "child failed: status " + std::to_string(status);
    return said;
}

struct Pipe {
    int read = -1;
    int write = -1;
    Pipe() {
        int fds[2];
        if (::pipe(fds) == 0) {
            read = fds[0];
            write = fds[1];
        }
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    void close_read() {
        if (read >= 0) ::close(read);
        read = -1;
    }
    void close_write() {
        if (write >= 0) ::close(write);
        write = -1;
    }
};

TEST(StdioByteStream, ReadsWhatStdinHoldsThenZeroAtItsEnd) {
    Pipe in, out;
    ASSERT_EQ(::write(in.write, "hi", 2), 2);
    in.close_write();
    const std::string said = in_child_with_stdio(in.read, out.write, [](asio::io_context& ctx) {
        StdioByteStream stdio(ctx.get_executor());
        std::string got;
        std::size_t last = 99;
        const std::string failure = test::run_task(ctx, [&]() -> awaitable<void> {
            Bytes buf(16);
            for (;;) {
                last = co_await stdio.read_some(buf);
                if (last == 0) break;
                got.append(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(last));
            }
        });
        return failure.empty() ? got + "|" + std::to_string(last) : "failed: " + failure;
    });
    EXPECT_EQ(said, "hi|0");
}

TEST(StdioByteStream, AWriteToAClosedStdoutThrowsBrokenPipe) {
    Pipe in, out;
    out.close_read();
    const std::string said = in_child_with_stdio(in.read, out.write, [](asio::io_context& ctx) {
        StdioByteStream stdio(ctx.get_executor());
        std::string caught = "nothing thrown";
        const std::string failure = test::run_task(ctx, [&]() -> awaitable<void> {
            const Bytes data = {'x', 'y'};
            try {
                co_await stdio.write_all(data);
            } catch (const boost::system::system_error& e) {
                caught = e.code() == boost::system::errc::broken_pipe ? "EPIPE" : e.what();
            }
        });
        return failure.empty() ? caught : "failed: " + failure;
    });
    EXPECT_EQ(said, "EPIPE");
}

TEST(StdioByteStream, AStdinThatCannotBeReadThrows) {
    Pipe out;
    const int directory = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(directory, 0);
    const std::string said = in_child_with_stdio(directory, out.write, [](asio::io_context& ctx) {
        StdioByteStream stdio(ctx.get_executor());
        Bytes buf(16);
        try {
            (void)stdio.try_read(buf);
        } catch (const boost::system::system_error& e) {
            return e.code() == boost::system::errc::is_a_directory ? std::string("EISDIR") : std::string(e.what());
        }
        return std::string("nothing thrown");
    });
    ::close(directory);
    EXPECT_EQ(said, "EISDIR");
}

TEST(StdioByteStream, ShutdownSendEndsStdoutWhileStdinStaysOpen) {
    Pipe in, out;
    std::string seen;
    const std::string said = in_child_with_stdio(
        in.read, out.write,
        [](asio::io_context& ctx) {
            StdioByteStream stdio(ctx.get_executor());
            Bytes got(1);
            std::size_t n = 0;
            const std::string failure = test::run_task(ctx, [&]() -> awaitable<void> {
                const Bytes bye = {'b', 'y', 'e'};
                co_await stdio.write_all(bye);
                stdio.shutdown_send();
                n = co_await stdio.read_some(got);
            });
            return failure.empty() ? "read " + std::to_string(n) : "failed: " + failure;
        },
        [&] {
            out.close_write();
            seen = read_to_end(out.read);  // its end comes only once the child holds no copy of stdout
            (void)!::write(in.write, "x", 1);
        });
    EXPECT_EQ(seen, "bye");
    EXPECT_EQ(said, "read 1");
}

}  // namespace
}  // namespace burrow::io
