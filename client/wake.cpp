// `burrow wake ENDPOINT`: the relay has an online endpoint on its LAN send the
// magic packet; with a wait, resends every 10 s until the endpoint is online.
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "client/client.hpp"
#include "client/control_channel.hpp"
#include "proto/wake.hpp"

namespace burrow::client {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kResendEvery = std::chrono::seconds(10);
constexpr auto kPollEvery = std::chrono::seconds(1);

std::string clock_time() {
    const std::time_t now = std::time(nullptr);
    char text[16];
    std::tm local{};
    ::localtime_r(&now, &local);
    std::strftime(text, sizeof text, "%H:%M:%S", &local);
    return text;
}

io::awaitable<bool> is_online(ControlChannel& channel, const std::string& endpoint) {
    proto::ControlMessage request = proto::ListRequest{};  // not a temporary in the co_await (g++ 12)
    const auto answer = co_await channel.ask(std::move(request));
    if (!answer) throw std::runtime_error(channel.ended().empty() ? "the relay did not answer" : channel.ended());
    if (const auto* list = std::get_if<proto::ListReply>(&*answer))
        for (const auto& e : list->endpoints)
            if (e.name == endpoint) co_return true;
    co_return false;
}

// "packet sent by lab-nas at 12:01:03"; throws with the relay's reason.
io::awaitable<std::string> send_wake(ControlChannel& channel, const std::string& endpoint) {
    proto::ControlMessage request = proto::WakeRequest{endpoint};  // not a temporary in the co_await (g++ 12)
    const auto answer = co_await channel.ask(std::move(request));
    if (!answer) throw std::runtime_error(channel.ended().empty() ? "the relay did not answer" : channel.ended());
    if (const auto* error = std::get_if<proto::ControlError>(&*answer))
        throw std::runtime_error("cannot wake '" + endpoint + "': " + error->reason);
    const auto* sent = std::get_if<proto::WakeSent>(&*answer);
    if (!sent) throw std::runtime_error("the relay answered the wake request with something else");
    proto::MacAddress mac;
    std::copy(sent->mac.begin(), sent->mac.end(), mac.begin());
    co_return "packet for " + proto::format_mac(mac) + " sent by " + sent->via + " at " + clock_time();
}

}  // namespace

io::awaitable<int> wake_endpoint(ClientOptions options, std::string endpoint, std::optional<std::chrono::seconds> wait,
                                 std::FILE* out) {
    auto channel = co_await ControlChannel::open(options);
    if (co_await is_online(*channel, endpoint)) {
        std::fprintf(out, "%s is online\n", endpoint.c_str());
        co_return 0;
    }
    std::string last = co_await send_wake(*channel, endpoint);
    std::fprintf(out, "%s\n", last.c_str());
    std::fflush(out);
    if (!wait) co_return 0;
    const bool terminal = ::isatty(::fileno(out)) == 1;
    const auto started = Clock::now();
    auto next_send = started + kResendEvery;
    asio::steady_timer pause(co_await asio::this_coro::executor);
    for (;;) {
        const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started);
        if (co_await is_online(*channel, endpoint)) {
            std::fprintf(out, "%s%s is online after %lld s\n", terminal ? "\r\033[K" : "", endpoint.c_str(),
                         static_cast<long long>(elapsed.count()));
            co_return 0;
        }
        if (elapsed >= *wait) {
            std::fprintf(out, "%s%s; %s did not come online in %lld s\n", terminal ? "\r\033[K" : "", last.c_str(),
                         endpoint.c_str(), static_cast<long long>(wait->count()));
            co_return 1;
        }
        if (Clock::now() >= next_send) {
            last = co_await send_wake(*channel, endpoint);
            next_send = Clock::now() + kResendEvery;
            if (!terminal) std::fprintf(out, "%s (again; waiting %lld s so far)\n", last.c_str(),
                                        static_cast<long long>(elapsed.count()));
        }
        if (terminal)
            std::fprintf(out, "\r\033[Kwaiting for %s: %lld s (%s)", endpoint.c_str(),
                         static_cast<long long>(elapsed.count()), last.c_str());
        std::fflush(out);
        pause.expires_after(kPollEvery);
        io::error_code ec;
        co_await pause.async_wait(io::redirect_error(io::use_awaitable, ec));
    }
}

}  // namespace burrow::client
