#include "relay/exposed_ports.hpp"

#include <spdlog/spdlog.h>

#include "io/spawn.hpp"

namespace burrow::relay {

namespace {
constexpr std::uint64_t kLogRefusalsEvery = 100;  // after the first
}  // namespace

struct ExposedPorts::Port {
    explicit Port(io::tcp::acceptor a, ExposeRule r) : acceptor(std::move(a)), rule(std::move(r)) {}
    io::tcp::acceptor acceptor;
    ExposeRule rule;
    std::uint64_t refused = 0;
};

ExposedPorts::ExposedPorts(io::asio::any_io_executor ex, Open open) : ex_(std::move(ex)), open_(std::move(open)) {}

ExposedPorts::~ExposedPorts() { close_all(); }

void ExposedPorts::close_all() {
    for (auto& [key, port] : ports_) {
        io::error_code ignored;
        port->acceptor.close(ignored);
    }
    ports_.clear();
}

std::string ExposedPorts::apply(const std::vector<ExposeRule>& rules) {
    std::map<std::string, const ExposeRule*> wanted;
    for (const auto& r : rules) wanted[r.bind.str()] = &r;
    for (auto it = ports_.begin(); it != ports_.end();) {
        const auto want = wanted.find(it->first);
        if (want == wanted.end()) {
            spdlog::info("relay: {} closed", it->second->rule.describe());
            io::error_code ignored;
            it->second->acceptor.close(ignored);
            it = ports_.erase(it);
            continue;
        }
        it->second->rule = *want->second;
        ++it;
    }
    std::string failure;
    for (const auto& [key, rule] : wanted) {
        if (ports_.count(key)) continue;
        try {
            auto port = std::make_shared<Port>(io::listen_tcp(ex_, rule->bind), *rule);
            ports_[key] = port;
            io::spawn(ex_, accept_loop(port), "relay: " + rule->describe() + ": accept loop ended",
                      [this, key = key, port](const std::string&) {
                          io::error_code ignored;
                          port->acceptor.close(ignored);
                          const auto it = ports_.find(key);  // forgotten, so that a reload opens it again
                          if (it != ports_.end() && it->second == port) ports_.erase(it);
                      });
        } catch (const boost::system::system_error& e) {
            failure += (failure.empty() ? "" : "; ") + rule->describe() + ": " + e.code().message();
            continue;
        }
        // An open port is an explicit choice: said once, plainly.
        spdlog::warn("relay: {} is open{}; this path is not encrypted end to end by burrow (ssh encrypts itself)",
                     rule->describe(), rule->from.everyone() ? " to every address (no from = [...])" : "");
    }
    return failure.empty() ? failure : "cannot expose " + failure;
}

io::awaitable<void> ExposedPorts::accept_loop(std::shared_ptr<Port> port) {
    while (port->acceptor.is_open()) {
        io::error_code ec;
        io::tcp::socket socket = co_await port->acceptor.async_accept(io::redirect_error(io::use_awaitable, ec));
        if (ec == io::asio::error::operation_aborted) co_return;
        if (ec) {
            io::asio::steady_timer pause(ex_, std::chrono::milliseconds(100));  // out of descriptors, say
            co_await pause.async_wait(io::redirect_error(io::use_awaitable, ec));
            continue;
        }
        const auto remote = socket.remote_endpoint(ec);
        const std::string source = ec ? std::string{} : remote.address().to_string();
        if (!port->rule.from.admits(source)) {
            ++refused_;
            if (port->refused++ % kLogRefusalsEvery == 0)
                spdlog::warn("relay: {}: refused {} connection(s) from outside its from list (the last from {})",
                             port->rule.describe(), port->refused, source);
            socket.set_option(io::asio::socket_base::linger(true, 0), ec);  // a reset, not a clean end
            socket.close(ec);
            continue;
        }
        open_(std::move(socket), port->rule);
    }
}

}  // namespace burrow::relay
