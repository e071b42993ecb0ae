#pragma once
// Two io::StreamPumps at both ends of one end-to-end stream, over real
// loopback sockets: program <-> client pump <-> client session <-> endpoint
// session <-> endpoint pump <-> service. For the stream pump's tests.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/e2e_handshake.hpp"
#include "crypto/identity.hpp"
#include "io/e2e_codec.hpp"
#include "io/session.hpp"
#include "io/stream_pump.hpp"
#include "tests/support/memory_stream.hpp"

namespace burrow::io::test {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
using Phase = StreamPump::Phase;
using HalfState = StreamPump::HalfState;

inline constexpr const char* kTarget = "lab/svc";

inline Bytes pattern(std::size_t n) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
    return out;
}

inline bool is_prefix(const Bytes& got, const Bytes& of) {
    return got.size() <= of.size() && std::equal(got.begin(), got.end(), of.begin());
}

struct Pair {
    tcp::socket a;
    tcp::socket b;
};

inline Pair connected(asio::io_context& ctx, int a_receive_buffer = 0) {
    tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    Pair p{tcp::socket(ctx), tcp::socket(ctx)};
    p.a.open(tcp::v4());
    if (a_receive_buffer) p.a.set_option(asio::socket_base::receive_buffer_size(a_receive_buffer));
    p.a.connect(acceptor.local_endpoint());
    acceptor.accept(p.b);
    return p;
}

// One end of a local connection as a program (or a service) holds it,
// driven without blocking between turns of the io_context.
struct App {
    explicit App(asio::io_context& ctx) : socket(ctx) {}
    tcp::socket socket;
    Bytes got;
    std::string end;  // "" while open; "eof", "reset" or the error that ended the input
    std::size_t written = 0;

    int fd() { return socket.native_handle(); }
    // Reads what is there; true once the input has ended.
    bool read() {
        while (end.empty()) {
            std::uint8_t buf[65536];
            const ssize_t n = ::recv(fd(), buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                got.insert(got.end(), buf, buf + n);
            } else if (n == 0) {
                end = "eof";
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return false;
            } else if (errno != EINTR) {
                end = errno == ECONNRESET ? "reset" : std::strerror(errno);
            }
        }
        return true;
    }
    // Writes what the socket takes of `bytes` from `written` on; true once all is written.
    bool write(const Bytes& bytes) {
        while (written < bytes.size()) {
            const ssize_t n = ::send(fd(), bytes.data() + written, bytes.size() - written, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0) return false;
            written += static_cast<std::size_t>(n);
        }
        return true;
    }
    void half_close() { ::shutdown(fd(), SHUT_WR); }
    void reset() {
        socket.set_option(asio::socket_base::linger(true, 0));
        socket.close();
    }
};

class ClientSide final : public SessionHandler {
public:
    std::function<void(Session&)> ready;
    void on_ready(Session& s) override {
        if (ready) ready(s);
    }
    void on_stream_opened(Session& s, proto::StreamId id, const std::string&,
                          const std::optional<proto::PeerKey>&) override {
        s.mux().reject(id, proto::Errc::bad_target, "no streams this way");
    }
};

class EndpointSide final : public SessionHandler {
public:
    std::function<void(Session&, proto::StreamId)> opened;
    void on_stream_opened(Session& s, proto::StreamId id, const std::string&,
                          const std::optional<proto::PeerKey>&) override {
        opened(s, id);
    }
};

// How the endpoint pump reaches the service when it dials only after the
// end-to-end handshake (StreamPump::dial_local_after_handshake).
struct LateDial {
    bool client_speaks = true;      // false: the client opens the stream and never sends msg1
    bool wrong_client_key = false;  // the client holds another key than the one the endpoint was told
    bool fails = false;             // the dial fails
    bool throws = false;            // the dial throws instead of saying it failed
    bool hold = false;              // the dial waits until the test cancels `holding`
    asio::steady_timer* holding = nullptr;
    int dials = 0;
};

struct TunnelSetup {
    int program_receive_buffer = 0;      // SO_RCVBUF of the program's socket (0: the default)
    int client_send_buffer = 1 << 20;    // SO_SNDBUF of the client pump's end of it
    LateDial* late = nullptr;            // set: the endpoint pump connects the service after the handshake
    bool endpoint_rejects = false;       // the endpoint rejects the stream (unknown_service)
    bool client_refuses = false;         // the client's codec factory refuses the endpoint
    bool program_in_memory = false;      // the client pump's local side is end a of Tunnel::program_memory
};

// program <-> client pump <-> client session <-> endpoint session <-> endpoint pump <-> service
struct Tunnel {
    asio::io_context ctx;
    crypto::Identity client_id = crypto::Identity::generate();
    crypto::Identity endpoint_id = crypto::Identity::generate();
    crypto::Identity other_id = crypto::Identity::generate();
    App program;
    App service;
    int client_local_fd = -1;  // the client pump's end of the program's connection
    std::shared_ptr<Session> client;
    std::shared_ptr<Session> endpoint;
    proto::StreamId id = 0;
    std::shared_ptr<StreamPump> client_pump;
    std::shared_ptr<StreamPump> endpoint_pump;
    std::optional<StreamPump::Phase> client_phase_at_start;    // right after start()
    std::optional<StreamPump::Phase> endpoint_phase_at_start;  // right after start()
    std::optional<PumpError> client_done;                      // what each pump's done_ got
    std::optional<PumpError> endpoint_done;
    std::optional<MemoryStreamPair> program_memory;  // with TunnelSetup::program_in_memory: end b is the program's

    explicit Tunnel(TunnelSetup setup = {}) : program(ctx), service(ctx) {
        LateDial* late = setup.late;
        auto link = connected(ctx);
        auto to_program = connected(ctx, setup.program_receive_buffer);
        auto to_service = connected(ctx);
        program.socket = std::move(to_program.a);
        service.socket = std::move(to_service.b);
        // Room for what the client pump writes before the program reads it.
        to_program.b.set_option(asio::socket_base::send_buffer_size(setup.client_send_buffer));
        client_local_fd = to_program.b.native_handle();
        if (setup.program_in_memory) program_memory = make_memory_stream_pair(ctx.get_executor());

        auto client_side = std::make_shared<ClientSide>();
        auto endpoint_side = std::make_shared<EndpointSide>();
        client = std::make_shared<Session>(ctx.get_executor(), std::make_unique<TcpByteStream>(std::move(link.a)),
                                           proto::Role::initiator, proto::MuxLimits{}, client_side);
        endpoint = std::make_shared<Session>(ctx.get_executor(), std::make_unique<TcpByteStream>(std::move(link.b)),
                                             proto::Role::acceptor, proto::MuxLimits{}, endpoint_side);
        auto program_end = std::make_shared<tcp::socket>(std::move(to_program.b));
        auto service_end = std::make_shared<tcp::socket>(std::move(to_service.a));
        client_side->ready = [this, program_end, late, refuses = setup.client_refuses](Session& s) {
            id = s.mux().open(kTarget);
            if (late && !late->client_speaks) {
                s.flush();
                return;
            }
            const crypto::Identity* me = late && late->wrong_client_key ? &other_id : &client_id;
            std::unique_ptr<ByteStream> local;
            if (program_memory)
                local = std::move(program_memory->a);
            else
                local = std::make_unique<TcpByteStream>(std::move(*program_end));
            client_pump = std::make_shared<StreamPump>(s.shared_from_this(), id, std::move(local),
                                                       [this](const PumpError& e) { client_done = e; });
            client_pump->set_codec_factory(
                [this, me, refuses](const std::optional<proto::PeerKey>&,
                                    std::string& refusal) -> std::unique_ptr<StreamCodec> {
                    if (refuses) {
                        refusal = "not the endpoint this client pins";
                        return nullptr;
                    }
                    return make_e2e_codec(crypto::E2eHandshake::client(*me, endpoint_id.public_key(), kTarget));
                });
            client_pump->start(false);
            client_phase_at_start = client_pump->phase();
            s.flush();
        };
        endpoint_side->opened = [this, service_end, late, rejects = setup.endpoint_rejects](Session& s,
                                                                                          proto::StreamId sid) {
            if (rejects) {
                s.mux().reject(sid, proto::Errc::unknown_service, "endpoint 'lab' has no service 'svc'");
                s.flush();
                return;
            }
            s.mux().accept(sid);
            std::unique_ptr<ByteStream> local;
            if (!late) local = std::make_unique<TcpByteStream>(std::move(*service_end));
            endpoint_pump = std::make_shared<StreamPump>(s.shared_from_this(), sid, std::move(local),
                                                         [this](const PumpError& e) { endpoint_done = e; });
            endpoint_pump->set_codec(make_e2e_codec(
                crypto::E2eHandshake::endpoint(endpoint_id, client_id.public_key(), kTarget, true)));
            if (late)
                endpoint_pump->dial_local_after_handshake(
                    [service_end, late]() -> awaitable<StreamPump::Dialed> {
                        ++late->dials;
                        if (late->throws) throw std::runtime_error("resolving the service: it broke");
                        if (late->hold) {
                            asio::steady_timer held(co_await asio::this_coro::executor,
                                                    asio::steady_timer::time_point::max());
                            late->holding = &held;
                            error_code ignored;
                            co_await held.async_wait(redirect_error(use_awaitable, ignored));
                            late->holding = nullptr;
                        }
                        StreamPump::Dialed dialed;
                        if (late->fails) {
                            dialed.cause = std::make_error_code(std::errc::connection_refused);
                            dialed.failure = "connecting to the service: refused here";
                        } else {
                            dialed.stream = std::make_unique<TcpByteStream>(std::move(*service_end));
                        }
                        co_return dialed;
                    },
                    200ms);
            endpoint_pump->start(true);
            endpoint_phase_at_start = endpoint_pump->phase();
            s.flush();
        };
        client->start();
        endpoint->start();
    }

    ~Tunnel() {
        client->close("test over");
        endpoint->close("test over");
        ctx.restart();
        ctx.run_for(50ms);
    }

    // Runs the sessions until `done` holds; false after 10 s.
    bool run_until(const std::function<bool()>& done) {
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (!done()) {
            if (std::chrono::steady_clock::now() > until) return false;
            ctx.restart();
            ctx.run_for(2ms);
        }
        return true;
    }

    // The client pump has half-closed the program's connection (written the peer's FIN).
    bool program_got_fin() {
        tcp_info info{};
        socklen_t len = sizeof info;
        if (::getsockopt(client_local_fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return false;
        return info.tcpi_state == TCP_FIN_WAIT1 || info.tcpi_state == TCP_FIN_WAIT2;
    }
};

}  // namespace burrow::io::test
