#include "io/dialer.hpp"

#include <charconv>
#include <memory>
#include <vector>

#include "io/deadline.hpp"

namespace burrow::io {

namespace {
constexpr auto kConnectTimeout = std::chrono::seconds(10);
}  // namespace

std::string HostPort::str() const {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<HostPort> parse_host_port(std::string_view text, bool allow_zero) {
    HostPort hp;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
        hp.host = std::string(text.substr(1, close - 1));
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        hp.host = std::string(text.substr(0, colon));
        port = text.substr(colon + 1);
        if (hp.host.find(':') != std::string::npos) return std::nullopt;
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (hp.host.empty() || port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535 ||
        (value == 0 && !allow_zero))
        return std::nullopt;
    hp.port = static_cast<std::uint16_t>(value);
    return hp;
}

std::optional<HostPort> parse_host_port_or(std::string_view text, std::uint16_t default_port) {
    if (auto hp = parse_host_port(text)) return hp;
    std::string_view host = text;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    else if (host.find(':') != std::string_view::npos) {
        error_code ec;
        asio::ip::make_address_v6(std::string(host), ec);  // "::1" has colons but no port
        if (ec) return std::nullopt;
    }
    if (host.empty() || host.find_first_of("[]/ ") != std::string_view::npos) return std::nullopt;
    return HostPort{std::string(host), default_port};
}

awaitable<std::unique_ptr<TcpByteStream>> dial_tcp(const HostPort& to) {
    auto ex = co_await asio::this_coro::executor;
    error_code ec;
    std::vector<tcp::endpoint> targets;
    // A literal address skips the resolver and its thread (services are mostly 127.0.0.1:PORT).
    if (const auto literal = asio::ip::make_address(to.host, ec); !ec) {
        targets.emplace_back(literal, to.port);
    } else {
        tcp::resolver resolver(ex);
        const auto results =
            co_await resolver.async_resolve(to.host, std::to_string(to.port), redirect_error(use_awaitable, ec));
        if (ec) throw boost::system::system_error(ec, "resolving " + to.host);
        for (const auto& r : results) targets.push_back(r.endpoint());
    }
    tcp::socket socket(ex);
    // The kernel would keep trying for about two minutes; a path that is down should be retried sooner.
    Deadline deadline(ex, kConnectTimeout, closing(socket));
    co_await asio::async_connect(socket, targets, redirect_error(use_awaitable, ec));
    deadline.disarm();
    if (deadline.expired()) ec = asio::error::timed_out;
    if (ec) throw boost::system::system_error(ec, "connecting to " + to.str());
    co_return std::make_unique<TcpByteStream>(std::move(socket));
}

tcp::acceptor listen_tcp(asio::any_io_executor ex, const HostPort& at) {
    tcp::resolver resolver(ex);
    error_code ec;
    const auto results = resolver.resolve(at.host, std::to_string(at.port), tcp::resolver::passive, ec);
    if (ec || results.empty()) throw boost::system::system_error(ec, "resolving " + at.host);
    const tcp::endpoint ep = *results.begin();
    tcp::acceptor acceptor(ex);
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(ep, ec);
    if (ec) throw boost::system::system_error(ec, "listening on " + at.str());
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw boost::system::system_error(ec, "listening on " + at.str());
    return acceptor;
}

bool listener_broken(const error_code& ec) {
    return ec == asio::error::bad_descriptor || ec == asio::error::invalid_argument || ec == asio::error::not_socket;
}

}  // namespace burrow::io
