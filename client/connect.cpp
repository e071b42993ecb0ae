#include <spdlog/spdlog.h>

#include <pthread.h>

#include <csignal>

#include "client/client.hpp"
#include "client/control_channel.hpp"
#include "client/direct_path.hpp"
#include "client/relay_link.hpp"
#include "io/stream_pump.hpp"

namespace burrow::client {

namespace {

// The endpoint's direct path, if the relay names one and it answers in time.
io::awaitable<std::optional<DirectSession>> direct_path(const ClientOptions& options, io::Session& relay,
                                                        PendingRequests& requests, std::string endpoint) {
    proto::ControlMessage request = proto::DirectRequest{endpoint};
    const auto answer = co_await requests.ask(relay, std::move(request), std::chrono::seconds(5));
    const auto* reply = answer ? std::get_if<proto::DirectReply>(&*answer) : nullptr;
    if (!reply || reply->candidates.empty()) co_return std::nullopt;
    std::string why;
    auto link = co_await open_direct_session(options, *reply, std::make_shared<ClientPeer>(), kDirectDialTimeout, why);
    if (link)
        spdlog::info("{}: direct path to {} (the relay is bypassed)", endpoint, link->candidate);
    else
        spdlog::info("{}: no direct path ({}): through the relay", endpoint, why);
    co_return link;
}

}  // namespace

io::awaitable<std::string> connect_stdio(ClientOptions options, std::string target) {
    const std::string endpoint = target.substr(0, target.find('/'));
    auto ex = co_await asio::this_coro::executor;
    auto requests = std::make_shared<PendingRequests>();
    auto relay_peer = std::make_shared<ClientPeer>();
    relay_peer->on_message = [requests](proto::ControlMessage&& msg) { requests->answer(std::move(msg)); };
    auto relay_end = std::make_shared<std::string>();  // why the relay session ended, if it did
    relay_peer->on_end = [requests, relay_end](const std::string& why) {
        *relay_end = why;
        requests->fail_all();
    };
    auto session = co_await open_relay_session(options, relay_peer);
    std::optional<proto::PeerKey> direct_key;  // the endpoint's, as the direct TLS handshake proved it
    if (auto link = co_await direct_path(options, *session, *requests, endpoint)) {
        session->close("the direct path is taken");
        session = link->session;
        direct_key = link->key.bytes;
    }
    const proto::StreamId id = session->mux().open(target);
    if (id == 0)
        co_return relay_end->empty() || direct_key ? "the session takes no new streams" : "session closed: " + *relay_end;
    // The pump and the signal handler can outlive this coroutine (the session
    // ends the stream after we return): what they share lives on the heap.
    struct Outcome {
        explicit Outcome(asio::any_io_executor ex) : finished(ex, asio::steady_timer::time_point::max()) {}
        asio::steady_timer finished;
        std::string error;
        std::string ended_by = "done";
        bool done = false;
        void end(std::string why_error, std::string by) {
            if (done) return;
            done = true;
            error = std::move(why_error);
            ended_by = std::move(by);
            finished.cancel();
        }
    };
    auto outcome = std::make_shared<Outcome>(ex);
    auto pump = std::make_shared<io::StreamPump>(session, id, std::make_unique<io::StdioByteStream>(ex),
                                                 [outcome](const io::PumpError& err) { outcome->end(err.message(), "done"); });
    pump->set_codec_factory([options, endpoint, target, direct_key](const std::optional<proto::PeerKey>& key,
                                                                    std::string& err) {
        return make_client_codec(options, endpoint, target, direct_key ? direct_key : key, err);
    });
    pump->start(false);
    session->flush();
    // ssh ends its ProxyCommand with SIGHUP once its session is over: say goodbye
    // (GOAWAY) so the relay drops the session now instead of holding it for a resume.
    asio::signal_set signals(ex, SIGHUP, SIGINT, SIGTERM);
    signals.async_wait([outcome](const io::error_code& sig_ec, int sig) {
        if (!sig_ec) outcome->end("", "signal " + std::to_string(sig));
    });
    io::error_code ec;
    while (!outcome->done) co_await outcome->finished.async_wait(io::redirect_error(io::use_awaitable, ec));
    // ssh sends SIGHUP as it closes our stdio, maybe after the stream ended:
    // from here on it must not kill the process before the GOAWAY is written.
    // Clearing the set restores SIGHUP's default action, so keep it blocked until ignored.
    sigset_t hup, before;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hup, &before);
    signals.cancel();
    signals.clear();
    std::signal(SIGHUP, SIG_IGN);
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
    session->close(outcome->ended_by);
    co_return outcome->error;
}

}  // namespace burrow::client
