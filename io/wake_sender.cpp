#include "io/wake_sender.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace burrow::io {

void send_wake_packet(const std::string& address, std::uint16_t port, std::span<const std::uint8_t> packet) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    if (::inet_pton(AF_INET, address.c_str(), &to.sin_addr) != 1)
        throw std::runtime_error("'" + address + "' is not an IPv4 address");
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("UDP socket: ") + std::strerror(errno));
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on);
    const auto sent = ::sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    const int err = errno;
    ::close(fd);
    if (sent != static_cast<ssize_t>(packet.size()))
        throw std::runtime_error("sending to " + address + ":" + std::to_string(port) + ": " +
                                 (sent < 0 ? std::strerror(err) : "short write"));
}

}  // namespace burrow::io
