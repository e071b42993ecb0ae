#pragma once
// The one way burrow includes Boost.Asio (STYLE.md S4).
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#if !defined(BOOST_ASIO_HAS_CO_AWAIT)
#error "burrow needs Asio's C++20 coroutines: build with g++ and -std=c++20"
#endif

namespace burrow::io {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using asio::awaitable;
using asio::use_awaitable;
using asio::redirect_error;

// Lets the other ready handlers run before going on: a loop that finds input
// every time it looks would otherwise keep the thread from every other
// stream and session, and from its own session's writer.
inline awaitable<void> let_others_run() {
    co_await asio::post(co_await asio::this_coro::executor, use_awaitable);
}
}  // namespace burrow::io
