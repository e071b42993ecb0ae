#pragma once
// A reliable, ordered byte stream: a TCP socket, stdin/stdout, and (the seam
// for the TLS transport) anything else the session or a pump runs over.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "io/asio.hpp"

namespace burrow::io {

//
// Reading is split in two so that an idle stream holds no read buffer: wait
// for input, then read it at once into a buffer the caller may share with
// other streams (nothing else runs between try_read() and the use of what it
// read, on a single-threaded executor).
class ByteStream {
public:
    virtual ~ByteStream() = default;
    // Reads what is there without waiting: the byte count, 0 at end of stream,
    // nullopt when nothing is there yet. Throws system_error on other failures.
    virtual std::optional<std::size_t> try_read(std::span<std::uint8_t> buf) = 0;
    // Completes when try_read() may have something. Call it only after
    // try_read() returned nullopt. Throws when the stream is closed meanwhile.
    virtual awaitable<void> wait_readable() = 0;
    // Waits for input and reads it; 0 at end of stream.
    awaitable<std::size_t> read_some(std::span<std::uint8_t> buf);
    virtual awaitable<void> write_all(std::span<const std::uint8_t> bytes) = 0;
    virtual void shutdown_send() noexcept = 0;  // half-close: the peer reads EOF
    virtual void close() noexcept = 0;          // both ways; wakes pending operations
    // Closes so that the peer sees an abortive close (TCP RST), not an end of
    // stream: for bytes known to be bad or cut short.
    virtual void reset() noexcept { close(); }
    virtual std::string describe() const = 0;   // for logs: the peer's address
};

class TcpByteStream final : public ByteStream {
public:
    explicit TcpByteStream(tcp::socket socket);
    std::optional<std::size_t> try_read(std::span<std::uint8_t> buf) override;
    awaitable<void> wait_readable() override;
    awaitable<void> write_all(std::span<const std::uint8_t> bytes) override;
    void shutdown_send() noexcept override;
    void close() noexcept override;
    void reset() noexcept override;
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
    std::optional<std::size_t> try_read(std::span<std::uint8_t> buf) override;
    awaitable<void> wait_readable() override;
    awaitable<void> write_all(std::span<const std::uint8_t> bytes) override;
    void shutdown_send() noexcept override;
    void close() noexcept override;
    std::string describe() const override { return "stdio"; }

private:
    asio::posix::stream_descriptor in_;
    asio::posix::stream_descriptor out_;
};

std::string to_string(const tcp::endpoint& ep);

// The result of a non-blocking read_some() on an Asio socket or descriptor:
// nullopt for "would block", 0 for end of stream; throws on other errors.
std::optional<std::size_t> nonblocking_result(std::size_t n, const error_code& ec);

// TCP keepalive tuned so the kernel gives up on a vanished peer in about 25 s.
void enable_keepalive(tcp::socket& socket) noexcept;

}  // namespace burrow::io
