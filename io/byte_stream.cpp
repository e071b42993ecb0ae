#include "io/byte_stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace burrow::io {

std::string to_string(const tcp::endpoint& ep) {
    const auto addr = ep.address();
    const std::string host = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
    return host + ":" + std::to_string(ep.port());
}

void enable_keepalive(tcp::socket& socket) noexcept {
    const int fd = socket.native_handle();
    const int on = 1, idle = 10, interval = 5, count = 3;
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

awaitable<std::size_t> ByteStream::read_some(std::span<std::uint8_t> buf) {
    for (;;) {
        if (const auto n = try_read(buf)) co_return *n;
        co_await wait_readable();
    }
}

std::optional<std::size_t> nonblocking_result(std::size_t n, const error_code& ec) {
    if (ec == asio::error::would_block || ec == asio::error::try_again) return std::nullopt;
    if (ec == asio::error::eof) return 0;
    if (ec) throw boost::system::system_error(ec);
    return n;
}

TcpByteStream::TcpByteStream(tcp::socket socket) : socket_(std::move(socket)) {
    error_code ec;
    const auto ep = socket_.remote_endpoint(ec);
    peer_ = ec ? "?" : to_string(ep);
    socket_.set_option(tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);
}

std::optional<std::size_t> TcpByteStream::try_read(std::span<std::uint8_t> buf) {
    error_code ec;
    const std::size_t n = socket_.read_some(asio::buffer(buf.data(), buf.size()), ec);
    return nonblocking_result(n, ec);
}

awaitable<void> TcpByteStream::wait_readable() {
    co_await socket_.async_wait(tcp::socket::wait_read, use_awaitable);
}

awaitable<void> TcpByteStream::write_all(std::span<const std::uint8_t> bytes) {
    co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), use_awaitable);
}

void TcpByteStream::shutdown_send() noexcept {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

void TcpByteStream::close() noexcept {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

void TcpByteStream::reset() noexcept {
    error_code ignored;
    socket_.set_option(asio::socket_base::linger(true, 0), ignored);  // close() then sends RST
    socket_.close(ignored);
}

StdioByteStream::StdioByteStream(asio::any_io_executor ex) : in_(ex, ::dup(STDIN_FILENO)), out_(ex, ::dup(STDOUT_FILENO)) {
    error_code ignored;
    in_.non_blocking(true, ignored);
}

std::optional<std::size_t> StdioByteStream::try_read(std::span<std::uint8_t> buf) {
    error_code ec;
    const std::size_t n = in_.read_some(asio::buffer(buf.data(), buf.size()), ec);
    return nonblocking_result(n, ec);
}

awaitable<void> StdioByteStream::wait_readable() {
    co_await in_.async_wait(asio::posix::stream_descriptor::wait_read, use_awaitable);
}

awaitable<void> StdioByteStream::write_all(std::span<const std::uint8_t> bytes) {
    co_await asio::async_write(out_, asio::buffer(bytes.data(), bytes.size()), use_awaitable);
}

void StdioByteStream::shutdown_send() noexcept {
    error_code ignored;
    out_.close(ignored);
    ::close(STDOUT_FILENO);  // the dup'ed descriptor alone would keep the pipe open
}

void StdioByteStream::close() noexcept {
    error_code ignored;
    in_.close(ignored);
    out_.close(ignored);
}

}  // namespace burrow::io
