#pragma once
// A reliable, ordered byte stream: a TCP socket, stdin/stdout, and (the seam
// for the TLS transport) anything else the session or a pump runs over.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "io/asio.hpp"

namespace burrow::io {

class ByteStream {
public:
    virtual ~ByteStream() = default;
    // Returns 0 at end of stream; throws system_error on other failures.
    virtual awaitable<std::size_t> read_some(std::span<std::uint8_t> buf) = 0;
    virtual awaitable<void> write_all(std::span<const std::uint8_t> bytes) = 0;
    virtual void shutdown_send() noexcept = 0;  // half-close: the peer reads EOF
    virtual void close() noexcept = 0;          // both ways; wakes pending operations
    virtual std::string describe() const = 0;   // for logs: the peer's address
};

class TcpByteStream final : public ByteStream {
public:
    explicit TcpByteStream(tcp::socket socket);
    awaitable<std::size_t> read_some(std::span<std::uint8_t> buf) override;
    awaitable<void> write_all(std::span<const std::uint8_t> bytes) override;
    void shutdown_send() noexcept override;
    void close() noexcept override;
    std::string describe() const override { return peer_; }
    tcp::socket& socket() noexcept { return socket_; }

private:
    tcp::socket socket_;
    std::string peer_;
};

// stdin and stdout of this process as one stream (for ssh's ProxyCommand).
class StdioByteStream final : public ByteStream {
public:
    explicit StdioByteStream(asio::any_io_executor ex);
    awaitable<std::size_t> read_some(std::span<std::uint8_t> buf) override;
    awaitable<void> write_all(std::span<const std::uint8_t> bytes) override;
    void shutdown_send() noexcept override;
    void close() noexcept override;
    std::string describe() const override { return "stdio"; }

private:
    asio::posix::stream_descriptor in_;
    asio::posix::stream_descriptor out_;
};

std::string to_string(const tcp::endpoint& ep);

// TCP keepalive tuned so the kernel gives up on a vanished peer in about 25 s.
void enable_keepalive(tcp::socket& socket) noexcept;

}  // namespace burrow::io
