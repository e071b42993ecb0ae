#pragma once
// Host:port parsing and outbound connections. The transport seam: today a
// plain TCP ByteStream; the TLS transport wraps what dial() returns.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "io/asio.hpp"
#include "io/byte_stream.hpp"

namespace burrow::io {

struct HostPort {
    std::string host;
    std::uint16_t port = 0;
    std::string str() const;
};

// "host:port", "[v6]:port"; with allow_zero, port 0 (pick one) is allowed.
std::optional<HostPort> parse_host_port(std::string_view text, bool allow_zero = false);
// As above, and a bare "host", "[v6]" or IPv6 literal means `default_port`.
std::optional<HostPort> parse_host_port_or(std::string_view text, std::uint16_t default_port);

// Resolves and connects; throws system_error naming the address on failure.
awaitable<std::unique_ptr<TcpByteStream>> dial_tcp(const HostPort& to);

// Binds and listens; throws system_error ("address in use" and the like) on failure.
tcp::acceptor listen_tcp(asio::any_io_executor ex, const HostPort& at);

// Whether an accept failure means the listening socket itself is unusable
// (closed under the acceptor, or no longer listening), not a shortage that
// passes, such as EMFILE or ECONNABORTED.
bool listener_broken(const error_code& ec);

}  // namespace burrow::io
