#include "relay/admin_server.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "io/spawn.hpp"
#include "relay/metrics_text.hpp"
#include "relay/status_json.hpp"
#include "relay/status_page.hpp"

namespace burrow::relay {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = io::asio;

namespace {

// Boost 1.74's Beast speaks boost::string_view.
std::string_view std_view(beast::string_view v) { return {v.data(), v.size()}; }
bool iequals(std::string_view a, std::string_view b) {
    return beast::iequals(beast::string_view(a.data(), a.size()), beast::string_view(b.data(), b.size()));
}

constexpr auto kRequestTimeout = std::chrono::seconds(10);
constexpr std::size_t kMaxHeader = 8 * 1024;
constexpr int kMaxRequestsPerConnection = 100;

// Equal without leaking where they differ; lengths may differ.
bool same_secret(std::string_view a, std::string_view b) {
    unsigned char ha[crypto_generichash_BYTES], hb[crypto_generichash_BYTES];
    crypto_generichash(ha, sizeof ha, reinterpret_cast<const unsigned char*>(a.data()), a.size(), nullptr, 0);
    crypto_generichash(hb, sizeof hb, reinterpret_cast<const unsigned char*>(b.data()), b.size(), nullptr, 0);
    return sodium_memcmp(ha, hb, sizeof ha) == 0;
}

// The token from "Bearer TOKEN" or "Basic base64(user:TOKEN)".
std::string presented_token(std::string_view authorization) {
    const auto space = authorization.find(' ');
    if (space == std::string_view::npos) return "";
    const auto scheme = authorization.substr(0, space);
    auto value = authorization.substr(space + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (iequals(scheme, "Bearer")) return std::string(value);
    if (!iequals(scheme, "Basic") || value.size() > 1024) return "";
    std::string decoded(value.size(), '\0');
    std::size_t length = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), value.data(), value.size(),
                          nullptr, &length, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
        return "";
    decoded.resize(length);
    const auto colon = decoded.find(':');
    return colon == std::string::npos ? "" : decoded.substr(colon + 1);
}

// "127.0.0.1:7444" -> "127.0.0.1", "[::1]:7444" -> "::1", "localhost" -> "localhost".
std::string host_without_port(std::string_view host) {
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        return std::string(close == std::string_view::npos ? host.substr(1) : host.substr(1, close - 1));
    }
    const auto colon = host.rfind(':');
    return std::string(colon == std::string_view::npos ? host : host.substr(0, colon));
}

}  // namespace

bool is_loopback_host(const std::string& host) {
    if (iequals(host, "localhost") || (host.size() > 10 && iequals(std::string_view(host).substr(host.size() - 10), ".localhost")))
        return true;
    io::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    return !ec && address.is_loopback();
}

struct AdminServer::State : std::enable_shared_from_this<AdminServer::State> {
    State(asio::any_io_executor ex, AdminOptions o, std::function<RelayStatus()> s)
        : acceptor(ex), options(std::move(o)), status(std::move(s)) {}

    io::awaitable<void> accept_loop();
    io::awaitable<void> serve(io::tcp::socket socket);
    http::response<http::string_body> answer(const http::request<http::empty_body>& request) const;

    io::tcp::acceptor acceptor;
    AdminOptions options;
    std::function<RelayStatus()> status;
    io::HostPort bound;
};

http::response<http::string_body> AdminServer::State::answer(const http::request<http::empty_body>& request) const {
    http::response<http::string_body> res{http::status::ok, request.version()};
    res.set(http::field::server, "burrow");
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("X-Frame-Options", "DENY");
    res.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    res.keep_alive(request.keep_alive());
    const auto fail = [&](http::status code, const std::string& text) {
        res.result(code);
        res.set(http::field::content_type, "text/plain; charset=utf-8");
        res.body() = text + "\n";
    };
    const std::string target(std_view(request.target()));
    const std::string path = target.substr(0, target.find('?'));
    if (!options.allow_remote && !is_loopback_host(host_without_port(std_view(request[http::field::host])))) {
        fail(http::status::forbidden, "this admin listener answers only to a loopback Host (allow_remote is off)");
    } else if (!options.token.empty() &&
               !same_secret(presented_token(std_view(request[http::field::authorization])), options.token)) {
        fail(http::status::unauthorized, "a valid token is needed: Authorization: Bearer TOKEN");
        res.insert(http::field::www_authenticate, "Bearer realm=\"burrow relay\"");
        res.insert(http::field::www_authenticate, "Basic realm=\"burrow relay\", charset=\"UTF-8\"");
    } else if (request.method() != http::verb::get && request.method() != http::verb::head) {
        fail(http::status::method_not_allowed, "only GET and HEAD");
        res.set(http::field::allow, "GET, HEAD");
    } else if (path == "/") {
        res.set(http::field::content_type, "text/html; charset=utf-8");
        res.body() = status_html(status());
    } else if (path == "/metrics") {
        res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        res.body() = prometheus_text(status());
    } else if (path == "/status.json") {
        res.set(http::field::content_type, "application/json");
        res.body() = status_json(status()) + "\n";
    } else {
        fail(http::status::not_found, "not found: try /, /metrics or /status.json");
    }
    res.prepare_payload();
    if (request.method() == http::verb::head) res.body().clear();
    return res;
}

io::awaitable<void> AdminServer::State::serve(io::tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer(kMaxHeader);
    const std::string peer = [&] {
        io::error_code ec;
        const auto ep = stream.socket().remote_endpoint(ec);
        return ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
    }();
    for (int served = 0; served < kMaxRequestsPerConnection; ++served) {
        http::request_parser<http::empty_body> parser;
        parser.header_limit(kMaxHeader);
        parser.body_limit(0);
        io::error_code ec;
        stream.expires_after(kRequestTimeout);
        co_await http::async_read(stream, buffer, parser, io::redirect_error(io::use_awaitable, ec));
        if (ec == http::error::end_of_stream || ec == asio::error::eof) break;
        if (ec) {
            spdlog::debug("admin: request from {} failed: {}", peer, ec.message());
            if (ec == beast::error::timeout || ec == asio::error::connection_reset) break;
            http::response<http::string_body> bad{http::status::bad_request, 11};
            bad.set(http::field::content_type, "text/plain; charset=utf-8");
            bad.body() = "malformed request: " + ec.message() + "\n";
            bad.keep_alive(false);
            bad.prepare_payload();
            co_await http::async_write(stream, bad, io::redirect_error(io::use_awaitable, ec));
            break;
        }
        auto res = answer(parser.get());
        if (res.result() == http::status::unauthorized) {
            const auto target = std_view(parser.get().target());  // without its query, which may hold secrets
            spdlog::info("admin: refused {} {} from {}: no valid token", std_view(parser.get().method_string()),
                         target.substr(0, target.find('?')), peer);
        }
        co_await http::async_write(stream, res, io::redirect_error(io::use_awaitable, ec));
        if (ec || !res.keep_alive()) break;
    }
    io::error_code ignored;
    stream.socket().shutdown(io::tcp::socket::shutdown_send, ignored);
    stream.close();
}

io::awaitable<void> AdminServer::State::accept_loop() {
    auto self = shared_from_this();
    while (acceptor.is_open()) {
        io::error_code ec;
        io::tcp::socket socket = co_await acceptor.async_accept(io::redirect_error(io::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) {
            spdlog::warn("admin: accept failed: {}", ec.message());
            asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
            co_await pause.async_wait(io::redirect_error(io::use_awaitable, ec));
            continue;
        }
        io::spawn(acceptor.get_executor(), [self, s = std::move(socket)]() mutable { return self->serve(std::move(s)); },
                  "admin: connection ended", {}, spdlog::level::debug);
    }
}

AdminServer::AdminServer(asio::any_io_executor ex, AdminOptions options, std::function<RelayStatus()> status)
    : state_(std::make_shared<State>(std::move(ex), std::move(options), std::move(status))) {}

AdminServer::~AdminServer() { stop(); }

void AdminServer::start() {
    state_->acceptor = io::listen_tcp(state_->acceptor.get_executor(), state_->options.listen);
    const auto ep = state_->acceptor.local_endpoint();
    state_->bound = io::HostPort{ep.address().to_string(), ep.port()};
    io::spawn(state_->acceptor.get_executor(), state_->accept_loop(), "admin: accept loop ended");
}

void AdminServer::stop() {
    io::error_code ignored;
    state_->acceptor.close(ignored);
}

io::HostPort AdminServer::bound() const { return state_->bound; }

}  // namespace burrow::relay
