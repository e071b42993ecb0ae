#include <spdlog/spdlog.h>

#include <csignal>

#include "client/client.hpp"
#include "client/relay_link.hpp"
#include "io/stream_pump.hpp"

namespace burrow::client {

io::awaitable<std::string> connect_stdio(ClientOptions options, std::string target) {
    const std::string endpoint = target.substr(0, target.find('/'));
    auto ex = co_await asio::this_coro::executor;
    auto session = co_await open_relay_session(options, std::make_shared<ClientPeer>());
    const proto::StreamId id = session->mux().open(target);
    if (id == 0) co_return "the relay session takes no new streams";
    asio::steady_timer finished(ex, asio::steady_timer::time_point::max());
    std::string error;
    bool done = false;
    auto pump = std::make_shared<io::StreamPump>(session, id, std::make_unique<io::StdioByteStream>(ex),
                                                 [&](const std::string& err) {
                                                     error = err;
                                                     done = true;
                                                     finished.cancel();
                                                 });
    pump->set_codec_factory([&](const std::optional<proto::PeerKey>& key, std::string& err) {
        return make_client_codec(options, endpoint, target, key, err);
    });
    pump->start(false);
    session->flush();
    // ssh ends its ProxyCommand with SIGHUP once its session is over: say goodbye
    // (GOAWAY) so the relay drops the session now instead of holding it for a resume.
    asio::signal_set signals(ex, SIGHUP, SIGINT, SIGTERM);
    std::string ended_by = "done";
    signals.async_wait([&](const io::error_code& sig_ec, int sig) {
        if (sig_ec || done) return;
        ended_by = "signal " + std::to_string(sig);
        done = true;
        finished.cancel();
    });
    io::error_code ec;
    while (!done) co_await finished.async_wait(io::redirect_error(io::use_awaitable, ec));
    signals.cancel();
    session->close(ended_by);
    co_return error;
}

}  // namespace burrow::client
