// `burrow ls`: what the relay says is there.
#include "client/client.hpp"
#include "client/control_channel.hpp"

namespace burrow::client {

namespace {

template <class Reply>
io::awaitable<Reply> ask_for(const ClientOptions& options, proto::ControlMessage request) {
    auto channel = co_await ControlChannel::open(options);
    const auto answer = co_await channel->ask(std::move(request));
    if (!answer) throw std::runtime_error(channel->ended().empty() ? "relay " + options.relay.str() + " did not answer"
                                                                   : channel->ended());
    if (const auto* error = std::get_if<proto::ControlError>(&*answer)) throw std::runtime_error(error->reason);
    const auto* reply = std::get_if<Reply>(&*answer);
    if (!reply) throw std::runtime_error("relay " + options.relay.str() + " answered with something else");
    co_return *reply;
}

}  // namespace

io::awaitable<proto::ListReply> list_endpoints(ClientOptions options) {
    proto::ControlMessage request = proto::ListRequest{};  // not a temporary in the co_await (g++ 12)
    co_return co_await ask_for<proto::ListReply>(options, std::move(request));
}

io::awaitable<proto::DetailsReply> list_details(ClientOptions options) {
    proto::ControlMessage request = proto::DetailsRequest{};
    co_return co_await ask_for<proto::DetailsReply>(options, std::move(request));
}

}  // namespace burrow::client
