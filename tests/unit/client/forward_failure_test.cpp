// Forwarder: a listener that stops accepting ends the forward with its reason.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <optional>

#include "client/client.hpp"
#include "io/tls_stream.hpp"
#include "tests/support/log_capture.hpp"

namespace burrow::client {
namespace {

using namespace std::chrono_literals;

// A loopback port nothing listens on: the relay there refuses every dial.
std::uint16_t closed_port(io::asio::io_context& ctx) {
    io::tcp::acceptor probe(ctx, io::tcp::endpoint(io::asio::ip::address_v4::loopback(), 0));
    return probe.local_endpoint().port();
}

ClientOptions options_for(std::uint16_t relay_port) {
    ClientOptions options;
    options.relay = io::HostPort{"127.0.0.1", relay_port};
    options.identity = std::make_shared<crypto::Identity>(crypto::Identity::generate());
    options.tls = std::make_shared<io::TlsContext>(*options.identity, false);
    return options;
}

// This process's socket listening on `port`, or -1.
int listening_fd(std::uint16_t port) {
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        const int fd = std::stoi(entry.path().filename().string());
        sockaddr_in address{};
        socklen_t length = sizeof address;
        int listening = 0;
        socklen_t option_length = sizeof listening;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 || address.sin_family != AF_INET ||
            ntohs(address.sin_port) != port)
            continue;
        if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &option_length) == 0 && listening) return fd;
    }
    return -1;
}

TEST(ForwardFailure, AListenerThatStopsAcceptingStopsTheForwardAndSaysWhy) {
    testing::LogCapture log;
    io::asio::io_context ctx;
    std::vector<ForwardSpec> specs;
    specs.push_back(*parse_forward_spec("127.0.0.1:0:lab:ssh"));
    auto fwd = std::make_shared<Forwarder>(ctx.get_executor(), options_for(closed_port(ctx)), specs);
    io::HostPort bound;
    std::optional<std::string> failure;
    fwd->start([&](const ForwardSpec&, const io::HostPort& at) { bound = at; },
               [&](const std::string& why) { failure = why; });
    const int fd = listening_fd(bound.port);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::shutdown(fd, SHUT_RDWR), 0);  // it listens no more: accept fails with EINVAL from now on

    for (const auto until = std::chrono::steady_clock::now() + 10s; !failure && std::chrono::steady_clock::now() < until;)
        ctx.run_one_for(100ms);
    ASSERT_TRUE(failure) << log.text();
    const std::string where = "-L " + bound.str();
    EXPECT_EQ(failure->rfind(where + ": the listener failed: accept: ", 0), 0u) << *failure;
    EXPECT_NE(log.text().find("error " + where + ": listener: accept: "), std::string::npos) << log.text();
    ctx.run_for(20s);  // returns once nothing is left to run: the forward stopped whole
    EXPECT_TRUE(ctx.stopped());
    EXPECT_TRUE(fwd->finished());
}

}  // namespace
}  // namespace burrow::client
