// io::send_wake_packet: what it refuses to send, and a datagram the kernel
// will not send, named with its address. Loopback only.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/wake_sender.hpp"

namespace burrow::io {
namespace {

// What send_wake_packet threw, or "" if it sent.
std::string send_failure(const std::string& address, std::uint16_t port, const std::vector<std::uint8_t>& packet) {
    try {
        send_wake_packet(address, port, packet);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

TEST(WakeSender, AHostNameIsNotAnAddress) {
    const std::vector<std::uint8_t> packet(102, 0xff);
    EXPECT_EQ(send_failure("lab.invalid", 9, packet), "'lab.invalid' is not an IPv4 address");
    EXPECT_EQ(send_failure("::1", 9, packet), "'::1' is not an IPv4 address");
}

TEST(WakeSender, ADatagramTooLargeToSendIsAnErrorNamingTheAddress) {
    const std::vector<std::uint8_t> packet(65536, 0xff);
    EXPECT_EQ(send_failure("127.0.0.1", 9, packet), "sending to 127.0.0.1:9: Message too long");
}

TEST(WakeSender, APacketReachesALoopbackListener) {
    const int listener = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof at;
    ASSERT_EQ(::bind(listener, reinterpret_cast<const sockaddr*>(&at), sizeof at), 0);
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&at), &length), 0);
    const timeval hang{30, 0};
    ::setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &hang, sizeof hang);
    const std::vector<std::uint8_t> packet(102, 0xab);
    EXPECT_EQ(send_failure("127.0.0.1", ntohs(at.sin_port), packet), "");
    std::vector<std::uint8_t> got(200);
    const ssize_t n = ::recv(listener, got.data(), got.size(), 0);
    ::close(listener);
    got.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    EXPECT_EQ(got, packet);
}

}  // namespace
}  // namespace burrow::io
