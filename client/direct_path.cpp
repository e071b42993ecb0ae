#include "client/direct_path.hpp"

#include <spdlog/spdlog.h>

#include "io/spawn.hpp"
#include "io/tls_stream.hpp"

namespace burrow::client {

namespace {

// The candidates' attempts, which outlive the wait for them: a late winner closes its transport.
struct Race {
    explicit Race(asio::any_io_executor ex) : done(ex, asio::steady_timer::time_point::max()) {}
    asio::steady_timer done;
    std::unique_ptr<io::ByteStream> winner;
    std::string candidate;
    std::vector<std::string> failures;
    std::size_t running = 0;
    bool over = false;
};

io::awaitable<void> attempt(std::shared_ptr<Race> race, std::shared_ptr<io::TlsContext> tls, std::string candidate,
                            crypto::PublicKey expected, std::chrono::milliseconds timeout) {
    std::string failure;
    std::unique_ptr<io::ByteStream> stream;
    try {
        const auto to = io::parse_host_port(candidate);
        if (!to) throw std::runtime_error("not HOST:PORT");
        auto tcp = co_await io::dial_tcp(*to);
        auto result = co_await io::tls_handshake(*tls, std::move(tcp->socket()), timeout);
        if (result.peer_key != expected)
            throw std::runtime_error("it presented key " + result.peer_key.fingerprint() + ", not the endpoint's");
        stream = std::move(result.stream);
    } catch (const boost::system::system_error& e) {
        failure = e.code().message();
    } catch (const std::exception& e) {
        failure = e.what();
    }
    --race->running;
    if (stream && !race->over && !race->winner) {
        race->winner = std::move(stream);
        race->candidate = candidate;
        race->done.cancel();
    } else if (stream) {
        stream->close();  // too late, or another won
    } else {
        race->failures.push_back(candidate + ": " + failure);
        if (race->running == 0) race->done.cancel();
    }
}

}  // namespace

io::awaitable<std::optional<DirectSession>> open_direct_session(const ClientOptions& options, proto::DirectReply reply,
                                                                std::shared_ptr<ClientPeer> peer,
                                                                std::chrono::milliseconds timeout, std::string& why) {
    if (reply.candidates.empty()) {
        why = "endpoint '" + reply.endpoint + "' has no direct address";
        co_return std::nullopt;
    }
    auto ex = co_await asio::this_coro::executor;
    auto race = std::make_shared<Race>(ex);
    const crypto::PublicKey key{reply.key};
    race->running = reply.candidates.size();
    for (const auto& c : reply.candidates)
        io::spawn(ex, attempt(race, options.tls, c, key, timeout), reply.endpoint + ": direct path to " + c);
    race->done.expires_after(timeout);
    io::error_code ec;
    while (!race->winner && race->running > 0) {
        co_await race->done.async_wait(io::redirect_error(io::use_awaitable, ec));
        if (!ec) break;  // the time is up
    }
    race->over = true;
    if (!race->winner) {
        std::string failures;
        for (const auto& f : race->failures) failures += (failures.empty() ? "" : "; ") + f;
        why = race->running > 0 && failures.empty()
                  ? "no answer within " + std::to_string(timeout.count()) + " ms"
                  : failures + (race->running > 0 ? "; the rest did not answer in time" : "");
        co_return std::nullopt;
    }
    // The endpoint refuses a key it does not list right after TLS (GOAWAY): wait for its HELLO to know.
    asio::steady_timer hello(ex, timeout);
    peer->on_hello = [&hello] { hello.cancel(); };
    const auto end = peer->on_end;
    peer->on_end = [&hello, end](const std::string& why) {
        hello.cancel();
        if (end) end(why);
    };
    auto session = std::make_shared<io::Session>(ex, std::move(race->winner), proto::Role::initiator, options.limits,
                                                 peer, io::Liveness::direct());
    session->start();
    co_await hello.async_wait(io::redirect_error(io::use_awaitable, ec));
    peer->on_hello = nullptr;
    peer->on_end = end;
    if (session->closed() || session->mux().peer_going_away() || !ec) {
        why = race->candidate + ": " +
              (peer->goaway_reason.empty() ? std::string("the endpoint did not start the session")
                                           : "the endpoint refused: " + peer->goaway_reason);
        session->close("refused");
        co_return std::nullopt;
    }
    co_return DirectSession{session, race->candidate, key};
}

}  // namespace burrow::client
