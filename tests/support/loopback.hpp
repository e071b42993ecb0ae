#pragma once
// Both ends of one loopback TCP connection (127.0.0.1, a port the kernel picks).
#include <utility>

#include "io/asio.hpp"

namespace burrow::io::test {

struct LoopbackPair {
    tcp::socket client;
    tcp::socket server;
};

inline LoopbackPair loopback_pair(asio::io_context& ctx) {
    tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    LoopbackPair p{tcp::socket(ctx), tcp::socket(ctx)};
    p.client.connect(acceptor.local_endpoint());
    acceptor.accept(p.server);
    return p;
}

}  // namespace burrow::io::test
