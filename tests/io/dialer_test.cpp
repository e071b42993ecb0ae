// io/dialer: host:port parsing, and dialing and listening on loopback only,
// with each way a connect can fail.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io/dialer.hpp"
#include "tests/support/run_until.hpp"

namespace burrow::io {
namespace {

using test::run_task;

TEST(Dialer, ParsesHostAndPort) {
    const auto v4 = parse_host_port("127.0.0.1:8080");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->host, "127.0.0.1");
    EXPECT_EQ(v4->port, 8080);
    const auto v6 = parse_host_port("[::1]:443");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->str(), "[::1]:443");
    EXPECT_EQ(parse_host_port("relay.example.org:7443")->str(), "relay.example.org:7443");
    for (const char* bad : {"", "host", ":80", "host:", "host:0", "host:65536", "host:80x", "::1:80", "[::1]80",
                            "[::1", "host:-1"})
        EXPECT_FALSE(parse_host_port(bad)) << bad;
    EXPECT_EQ(parse_host_port("127.0.0.1:0", true)->port, 0);
}

TEST(Dialer, ABareHostGetsTheDefaultPort) {
    EXPECT_EQ(parse_host_port_or("relay.example.org", 7443)->str(), "relay.example.org:7443");
    EXPECT_EQ(parse_host_port_or("relay.example.org:1", 7443)->port, 1);
    EXPECT_EQ(parse_host_port_or("[::1]", 7443)->str(), "[::1]:7443");
    EXPECT_EQ(parse_host_port_or("::1", 7443)->str(), "[::1]:7443");
    for (const char* bad : {"", "[]", "a b", "dir/host", "not:v6:at:all"})
        EXPECT_FALSE(parse_host_port_or(bad, 7443)) << bad;
}

TEST(Dialer, DialsALoopbackListener) {
    asio::io_context ctx;
    auto acceptor = listen_tcp(ctx.get_executor(), HostPort{"127.0.0.1", 0});
    const std::uint16_t port = acceptor.local_endpoint().port();
    tcp::socket accepted(ctx);
    acceptor.async_accept(accepted, [](error_code) {});
    std::unique_ptr<TcpByteStream> dialed;
    const HostPort to{"127.0.0.1", port};
    EXPECT_EQ(run_task(ctx, [&]() -> awaitable<void> { dialed = co_await dial_tcp(to); }), "");
    ASSERT_TRUE(dialed);
    EXPECT_EQ(dialed->describe(), "127.0.0.1:" + std::to_string(port));
    EXPECT_TRUE(test::run_until(ctx, [&] { return accepted.is_open(); }));
    const std::vector<std::uint8_t> hello = {'h', 'i'};
    EXPECT_EQ(run_task(ctx, [&]() -> awaitable<void> { co_await dialed->write_all(hello); }), "");
    std::vector<std::uint8_t> got(2);
    asio::read(accepted, asio::buffer(got));
    EXPECT_EQ(got, hello);
}

// What dial_tcp threw: its code and text.
std::pair<error_code, std::string> dial_failure(asio::io_context& ctx, const HostPort& to) {
    std::pair<error_code, std::string> failure;
    const std::string other = run_task(ctx, [&]() -> awaitable<void> {
        try {
            (void)co_await dial_tcp(to);
        } catch (const boost::system::system_error& e) {
            failure = {e.code(), e.what()};
        }
    });
    EXPECT_EQ(other, "");
    return failure;
}

TEST(Dialer, ARefusedPortFailsNamingTheAddress) {
    asio::io_context ctx;
    std::uint16_t port = 0;
    {
        tcp::acceptor closed(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
        port = closed.local_endpoint().port();
    }
    const auto [code, what] = dial_failure(ctx, HostPort{"127.0.0.1", port});
    EXPECT_EQ(code, asio::error::connection_refused);
    EXPECT_NE(what.find("connecting to 127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
}

TEST(Dialer, ANameThatDoesNotResolveFailsNamingIt) {
    asio::io_context ctx;
    // A label longer than 63 bytes: the resolver refuses it without asking a DNS server.
    std::string name(70, 'x');
    name += ".invalid";
    const auto [code, what] = dial_failure(ctx, HostPort{name, 80});
    EXPECT_TRUE(code);
    EXPECT_EQ(what.rfind("resolving " + name, 0), 0u) << what;
}

TEST(Dialer, AConnectNobodyAnswersTimesOut) {
    asio::io_context ctx;
    // A listener whose accept queue is full drops further SYNs, so connects to it hang.
    tcp::acceptor full(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    full.listen(0);
    const auto at = full.local_endpoint();
    std::vector<tcp::socket> queued;
    for (int i = 0; i < 4; ++i) {
        queued.emplace_back(ctx);
        queued.back().async_connect(at, [](error_code) {});
    }
    ctx.poll();
    const auto [code, what] = dial_failure(ctx, HostPort{"127.0.0.1", at.port()});
    EXPECT_EQ(code, asio::error::timed_out) << what;
    EXPECT_NE(what.find("connecting to 127.0.0.1:"), std::string::npos) << what;
}

TEST(Dialer, ListeningOnAPortInUseFails) {
    asio::io_context ctx;
    auto first = listen_tcp(ctx.get_executor(), HostPort{"127.0.0.1", 0});
    const HostPort same{"127.0.0.1", first.local_endpoint().port()};
    try {
        (void)listen_tcp(ctx.get_executor(), same);
        ADD_FAILURE() << "a second listener on " << same.str();
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), asio::error::address_in_use);
        EXPECT_NE(std::string(e.what()).find("listening on " + same.str()), std::string::npos) << e.what();
    }
}

TEST(Dialer, ListeningOnANameThatDoesNotResolveFails) {
    asio::io_context ctx;
    std::string name(70, 'x');
    name += ".invalid";
    try {
        (void)listen_tcp(ctx.get_executor(), HostPort{name, 0});
        ADD_FAILURE() << "listening on " << name;
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("resolving " + name, 0), 0u) << e.what();
    }
}

TEST(Dialer, OnlyABrokenListeningSocketEndsAnAcceptLoop) {
    EXPECT_TRUE(listener_broken(asio::error::bad_descriptor));
    EXPECT_TRUE(listener_broken(asio::error::invalid_argument));
    EXPECT_FALSE(listener_broken(asio::error::connection_aborted));
    EXPECT_FALSE(listener_broken(asio::error::no_descriptors));
    EXPECT_FALSE(listener_broken(asio::error::no_buffer_space));
}

}  // namespace
}  // namespace burrow::io
