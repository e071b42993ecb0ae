// loadgen: the load tool of burrow's benchmark harness (bench/run).
//
// Plain blocking sockets and threads (four accepting threads answer the short
// request/response exchanges themselves; longer connections get a thread
// each). One binary, two sides:
//
//   loadgen serve PORT                       sink/source/echo server on 127.0.0.1 (0 = pick one;
//                                            prints {"port": N} once listening)
//   loadgen bulk  PORT --bytes N --dir up|down [--streams K]
//   loadgen ping  PORT [--count N] [--warmup W] [--size B] [--load up|down] [--load-port P]
//                      [--load-settle S] [--max-seconds S]   (stops after S seconds, but not
//                                                             before 100 measured round trips,
//                                                             or --min-count N)
//                      [--load-priority idle|normal]   (the load's threads at both ends; default idle)
//   loadgen setup PORT [--seconds S] [--threads T]
//   loadgen idle  PORT[,PORT...] --count N   (holds N open streams until stdin closes)
//
// Every client command prints one JSON object on stdout and exits 0, or prints
// an error on stderr and exits 1.
//
// Wire (the first byte a client sends picks the server's mode):
//   'U' upload: the client sends bytes until it half-closes; the server answers
//       the byte count as 8 bytes big-endian and closes.
//   'D' download: the client sends an 8-byte count N; the server sends N bytes
//       and half-closes, then waits for the client to close.
//   'P' ping: the client sends a 4-byte message size B, then B-byte messages;
//       the server echoes each message whole. Ends when the client closes.
//   'R' request: a 64-byte request (mode byte included); the server answers 64
//       bytes and closes first (so TIME_WAIT stays on the listening side).
//   'I' idle: the server answers one byte 'k' and waits for the client to close.
//   'u', 'd': as 'U' and 'D', on a server thread at SCHED_IDLE priority (the
//       background load of `ping --load`, which must not take the CPU from the
//       ping-pong itself; the system under test still has to carry it).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kBuf = 128 * 1024;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "loadgen: %s\n", what.c_str());
    std::exit(1);
}

std::string err(const std::string& what) { return what + ": " + std::strerror(errno); }

double secs_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void nodelay(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Writes all of buf; false on error (peer gone).
bool write_all(int fd, const void* buf, std::size_t n) {
    auto p = static_cast<const char*>(buf);
    while (n > 0) {
        const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

// Reads exactly n bytes; false on EOF or error.
bool read_exact(int fd, void* buf, std::size_t n) {
    auto p = static_cast<char*>(buf);
    while (n > 0) {
        const ssize_t r = ::recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

// Reads until EOF; returns the byte count (stops on error too).
std::uint64_t drain(int fd) {
    std::vector<char> buf(kBuf);
    std::uint64_t total = 0;
    for (;;) {
        const ssize_t r = ::recv(fd, buf.data(), buf.size(), 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return total;
        total += static_cast<std::uint64_t>(r);
    }
}

void put_u64(unsigned char* p, std::uint64_t v) {
    for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<unsigned char>(v & 0xff);
}
std::uint64_t get_u64(const unsigned char* p) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
    return v;
}

// Runs the calling thread only when nothing else wants the CPU.
void lower_priority() {
    sched_param sp{};
    sp.sched_priority = 0;
    ::pthread_setschedparam(::pthread_self(), SCHED_IDLE, &sp);
}

// Threads with small stacks: the idle test holds thousands of them.
void spawn(std::function<void()> fn) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    auto* heap = new std::function<void()>(std::move(fn));
    pthread_t t;
    const int rc = pthread_create(
        &t, &attr,
        [](void* arg) -> void* {
            std::unique_ptr<std::function<void()>> f(static_cast<std::function<void()>*>(arg));
            (*f)();
            return nullptr;
        },
        heap);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        delete heap;
        die(std::string("pthread_create: ") + std::strerror(rc));
    }
}

sockaddr_in loopback(int port, const char* ip = "127.0.0.1") {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

// Connects to 127.0.0.1:port. A source address other than 127.0.0.1 spreads
// the ephemeral ports of a connection storm over several address pairs.
int dial(int port, const char* source = nullptr) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (source) {
        int one = 1;
        ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        const auto src = loopback(0, source);
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) != 0) {
            ::close(fd);
            return -1;
        }
    }
    const auto a = loopback(port);
    for (;;) {
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) break;
        if (errno == EINTR) continue;
        const int saved = errno;
        ::close(fd);
        errno = saved;
        return -1;
    }
    nodelay(fd);
    return fd;
}

int dial_or_die(int port) {
    const int fd = dial(port);
    if (fd < 0) die(err("connect 127.0.0.1:" + std::to_string(port)));
    return fd;
}

// ---------------------------------------------------------------- server

void serve_conn(int fd, unsigned char mode) {
    if (mode == 'u' || mode == 'd') {
        lower_priority();
        mode = static_cast<unsigned char>(mode - 'a' + 'A');
    }
    switch (mode) {
        case 'U': {
            const std::uint64_t n = drain(fd);
            unsigned char ack[8];
            put_u64(ack, n);
            write_all(fd, ack, 8);
            break;
        }
        case 'D': {
            unsigned char hdr[8];
            if (!read_exact(fd, hdr, 8)) break;
            std::uint64_t left = get_u64(hdr);
            std::vector<char> buf(kBuf, 'x');
            bool ok = true;
            while (left > 0 && ok) {
                const std::size_t n = std::min<std::uint64_t>(left, buf.size());
                ok = write_all(fd, buf.data(), n);
                left -= n;
            }
            if (ok) {
                ::shutdown(fd, SHUT_WR);
                drain(fd);
            }
            break;
        }
        case 'P': {
            unsigned char hdr[4];
            if (!read_exact(fd, hdr, 4)) break;
            const std::uint32_t size = (std::uint32_t(hdr[0]) << 24) | (hdr[1] << 16) | (hdr[2] << 8) | hdr[3];
            if (size == 0 || size > (1u << 20)) break;
            std::vector<char> msg(size);
            while (read_exact(fd, msg.data(), size))
                if (!write_all(fd, msg.data(), size)) break;
            break;
        }
        case 'I': {
            const char k = 'k';
            if (write_all(fd, &k, 1)) drain(fd);
            break;
        }
        default:
            break;
    }
    ::close(fd);
}

// Short 'R' exchanges are answered on the accepting thread (no thread start per
// connection); every other mode gets a thread of its own.
void accept_loop(int lfd) {
    for (;;) {
        const int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) {
                ::usleep(10000);
                continue;
            }
            die(err("accept"));
        }
        nodelay(fd);
        unsigned char mode = 0;
        if (!read_exact(fd, &mode, 1)) {
            ::close(fd);
            continue;
        }
        if (mode == 'R') {
            char req[63];
            if (read_exact(fd, req, sizeof req)) {
                char resp[64];
                std::memset(resp, 'r', sizeof resp);
                write_all(fd, resp, sizeof resp);
            }
            ::close(fd);  // the server closes first
            continue;
        }
        spawn([fd, mode] { serve_conn(fd, mode); });
    }
}

int cmd_serve(int port) {
    const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0) die(err("socket"));
    int one = 1;
    ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    auto a = loopback(port);
    if (::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die(err("bind"));
    if (::listen(lfd, 4096) != 0) die(err("listen"));
    socklen_t len = sizeof a;
    ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
    std::printf("{\"port\": %d}\n", ntohs(a.sin_port));
    std::fflush(stdout);
    std::vector<std::thread> acceptors;
    for (int i = 0; i < 4; ++i) acceptors.emplace_back([lfd] { accept_loop(lfd); });
    for (auto& t : acceptors) t.join();
    return 0;
}

// ---------------------------------------------------------------- bulk

// One stream of `bytes` in direction dir; returns false on a short transfer.
bool bulk_stream(int fd, std::uint64_t bytes, bool up, std::string& error) {
    std::vector<char> buf(kBuf, 'y');
    if (up) {
        const char m = 'U';
        if (!write_all(fd, &m, 1)) return error = "send failed", false;
        std::uint64_t left = bytes;
        while (left > 0) {
            const std::size_t n = std::min<std::uint64_t>(left, buf.size());
            if (!write_all(fd, buf.data(), n)) return error = err("upload send"), false;
            left -= n;
        }
        ::shutdown(fd, SHUT_WR);
        unsigned char ack[8];
        if (!read_exact(fd, ack, 8)) return error = "upload: no byte count from the server", false;
        if (get_u64(ack) != bytes)
            return error = "upload: the server got " + std::to_string(get_u64(ack)) + " of " + std::to_string(bytes) +
                           " bytes",
                   false;
    } else {
        unsigned char hdr[9];
        hdr[0] = 'D';
        put_u64(hdr + 1, bytes);
        if (!write_all(fd, hdr, sizeof hdr)) return error = "send failed", false;
        const std::uint64_t got = drain(fd);
        if (got != bytes)
            return error = "download: got " + std::to_string(got) + " of " + std::to_string(bytes) + " bytes", false;
    }
    return true;
}

int cmd_bulk(int port, std::uint64_t bytes, bool up, int streams) {
    std::vector<int> fds;
    for (int i = 0; i < streams; ++i) fds.push_back(dial_or_die(port));
    std::vector<std::thread> threads;
    std::vector<std::string> errors(streams);
    std::atomic<int> failed{0};
    const std::uint64_t each = bytes / streams;
    const auto t0 = Clock::now();
    for (int i = 0; i < streams; ++i)
        threads.emplace_back([&, i] {
            if (!bulk_stream(fds[i], each, up, errors[i])) ++failed;
            ::close(fds[i]);
        });
    for (auto& t : threads) t.join();
    const double s = secs_since(t0);
    if (failed) {
        for (auto& e : errors)
            if (!e.empty()) die(e);
    }
    const double total = static_cast<double>(each) * streams;
    std::printf("{\"bytes\": %.0f, \"seconds\": %.6f, \"mbps\": %.3f, \"streams\": %d}\n", total, s, total / s / 1e6,
                streams);
    return 0;
}

// ---------------------------------------------------------------- ping

double pct(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(std::ceil(p / 100.0 * v.size())) - 1);
    return v[i];
}

int cmd_ping(int port, int count, int warmup, std::uint32_t size, const std::string& load, int load_port,
             double load_settle, double max_seconds, int min_count, bool low_priority_load) {
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> load_bytes{0};
    std::thread loader;
    std::string load_error;
    if (!load.empty()) {
        const int lfd = dial_or_die(load_port);
        const bool up = load == "up";
        loader = std::thread([&, lfd, up] {
            if (low_priority_load) lower_priority();
            std::vector<char> buf(kBuf, 'z');
            if (up) {
                const char m = low_priority_load ? 'u' : 'U';
                write_all(lfd, &m, 1);
                while (!stop) {
                    if (!write_all(lfd, buf.data(), buf.size())) {
                        load_error = err("load send");
                        break;
                    }
                    load_bytes += buf.size();
                }
                ::shutdown(lfd, SHUT_WR);
                unsigned char ack[8];
                read_exact(lfd, ack, 8);
            } else {
                unsigned char hdr[9];
                hdr[0] = low_priority_load ? 'd' : 'D';
                put_u64(hdr + 1, std::uint64_t(1) << 60);
                write_all(lfd, hdr, sizeof hdr);
                while (!stop) {
                    const ssize_t r = ::recv(lfd, buf.data(), buf.size(), 0);
                    if (r <= 0) {
                        load_error = "load download ended early";
                        break;
                    }
                    load_bytes += static_cast<std::uint64_t>(r);
                }
            }
            ::close(lfd);
        });
        std::this_thread::sleep_for(std::chrono::duration<double>(load_settle));
    }
    const int fd = dial_or_die(port);
    unsigned char hdr[5] = {'P', static_cast<unsigned char>(size >> 24), static_cast<unsigned char>(size >> 16),
                            static_cast<unsigned char>(size >> 8), static_cast<unsigned char>(size)};
    if (!write_all(fd, hdr, sizeof hdr)) die("ping: send failed");
    std::vector<char> msg(size, 'p'), back(size);
    std::vector<double> us;
    us.reserve(count);
    const std::uint64_t load_before = load_bytes;
    const auto t_start = Clock::now();
    for (int i = 0; i < warmup + count; ++i) {
        const auto t0 = Clock::now();
        if (!write_all(fd, msg.data(), size) || !read_exact(fd, back.data(), size)) die("ping: connection lost");
        const double d = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        if (i >= warmup) us.push_back(d);
        // The time cap leaves at least min_count (default 100) measured round trips.
        if (max_seconds > 0 && i >= warmup + min_count && (i & 15) == 15 && secs_since(t_start) > max_seconds)
            break;
    }
    const double elapsed = secs_since(t_start);
    const std::uint64_t moved = load_bytes - load_before;
    ::close(fd);
    stop = true;
    if (loader.joinable()) loader.join();
    if (!load_error.empty()) die(load_error);
    double sum = 0;
    for (double d : us) sum += d;
    const double mean = us.empty() ? 0 : sum / us.size();
    const double p50 = pct(us, 50), p90 = pct(us, 90), p99 = pct(us, 99), p999 = pct(us, 99.9);
    std::printf(
        "{\"count\": %zu, \"p50_us\": %.2f, \"p90_us\": %.2f, \"p99_us\": %.2f, \"p999_us\": %.2f, "
        "\"max_us\": %.2f, \"mean_us\": %.2f, \"load_mbps\": %.3f}\n",
        us.size(), p50, p90, p99, p999, us.empty() ? 0 : us.back(), mean, moved / elapsed / 1e6);
    return 0;
}

// ---------------------------------------------------------------- setup

int cmd_setup(int port, double seconds, int threads) {
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::vector<double> ttfb_all;
    std::atomic<std::uint64_t> done{0}, errors{0};
    std::string first_error;
    std::vector<std::thread> ts;
    const auto t0 = Clock::now();
    for (int t = 0; t < threads; ++t)
        ts.emplace_back([&, t] {
            std::vector<double> ttfb;
            char req[64];
            std::memset(req, 'q', sizeof req);
            req[0] = 'R';
            char resp[64];
            std::string source = "127.0.0." + std::to_string(2 + t % 200);
            while (!stop) {
                const auto c0 = Clock::now();
                const int fd = dial(port, source.c_str());
                bool ok = fd >= 0 && write_all(fd, req, sizeof req);
                double first = 0;
                if (ok) {
                    ok = read_exact(fd, resp, 1);
                    first = std::chrono::duration<double, std::micro>(Clock::now() - c0).count();
                    ok = ok && read_exact(fd, resp + 1, sizeof resp - 1);
                    char extra;
                    ok = ok && ::recv(fd, &extra, 1, 0) == 0;  // the server closes first
                }
                const int saved = errno;
                if (fd >= 0) ::close(fd);
                if (ok) {
                    ttfb.push_back(first);
                    ++done;
                } else {
                    ++errors;
                    std::lock_guard<std::mutex> lock(mu);
                    if (first_error.empty())
                        first_error = fd < 0 ? std::string("connect: ") + std::strerror(saved) : "short response";
                }
            }
            std::lock_guard<std::mutex> lock(mu);
            ttfb_all.insert(ttfb_all.end(), ttfb.begin(), ttfb.end());
        });
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : ts) t.join();
    const double s = secs_since(t0);
    std::string e;
    for (char c : first_error) e += (c == '"' || c == '\\') ? '\'' : c;
    std::printf(
        "{\"conns\": %llu, \"seconds\": %.4f, \"rate\": %.1f, \"ttfb_p50_us\": %.2f, \"ttfb_p99_us\": %.2f, "
        "\"errors\": %llu, \"first_error\": \"%s\"}\n",
        static_cast<unsigned long long>(done.load()), s, done / s, pct(ttfb_all, 50), pct(ttfb_all, 99),
        static_cast<unsigned long long>(errors.load()), e.c_str());
    return 0;
}

// ---------------------------------------------------------------- idle

int cmd_idle(const std::vector<int>& ports, int count) {
    std::vector<int> fds;
    fds.reserve(count);
    const auto t0 = Clock::now();
    for (int i = 0; i < count; ++i) {
        const int fd = dial(ports[i % ports.size()]);
        if (fd < 0) die(err("idle: connect #" + std::to_string(i)));
        const char m = 'I';
        if (!write_all(fd, &m, 1)) die("idle: send failed on #" + std::to_string(i));
        fds.push_back(fd);
    }
    // Confirm every stream reached the server (it answers 'k').
    for (int i = 0; i < count; ++i) {
        pollfd p{fds[i], POLLIN, 0};
        if (::poll(&p, 1, 30000) != 1) die("idle: stream #" + std::to_string(i) + " got no answer in 30 s");
        char k = 0;
        if (::recv(fds[i], &k, 1, 0) != 1 || k != 'k')
            die("idle: stream #" + std::to_string(i) + " was closed or refused");
    }
    std::printf("{\"open\": %d, \"seconds\": %.3f}\n", count, secs_since(t0));
    std::fflush(stdout);
    char c;
    while (::read(0, &c, 1) > 0) {
    }
    // Any stream the system dropped meanwhile shows up as readable (EOF/RST).
    int dropped = 0;
    for (int fd : fds) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 0) == 1) ++dropped;
        ::close(fd);
    }
    std::printf("{\"closed\": %d, \"dropped_while_idle\": %d}\n", count, dropped);
    return 0;
}

// ---------------------------------------------------------------- main

struct Args {
    std::vector<std::string> pos;
    std::vector<std::pair<std::string, std::string>> opts;
    std::string get(const std::string& k, const std::string& dflt) const {
        for (auto& [a, b] : opts)
            if (a == k) return b;
        return dflt;
    }
};

void usage() {
    std::fprintf(stderr,
                 "usage: loadgen serve PORT\n"
                 "       loadgen bulk PORT --bytes N --dir up|down [--streams K]\n"
                 "       loadgen ping PORT [--count N] [--warmup W] [--size B] [--load up|down] [--load-port P]\n"
                 "                         [--load-settle S] [--max-seconds S] [--min-count N] [--load-priority idle|normal]\n"
                 "       loadgen setup PORT [--seconds S] [--threads T]\n"
                 "       loadgen idle PORT[,PORT...] --count N\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (argc < 3) usage();
    Args a;
    for (int i = 1; i < argc; ++i) {
        std::string s = argv[i];
        if (s.rfind("--", 0) == 0) {
            if (i + 1 >= argc) usage();
            a.opts.emplace_back(s.substr(2), argv[++i]);
        } else {
            a.pos.push_back(s);
        }
    }
    const std::string cmd = a.pos[0];
    if (a.pos.size() < 2) usage();
    try {
        if (cmd == "serve") return cmd_serve(std::stoi(a.pos[1]));
        const int port = std::stoi(a.pos[1]);
        if (cmd == "bulk") {
            const std::string dir = a.get("dir", "up");
            if (dir != "up" && dir != "down") usage();
            return cmd_bulk(port, std::stoull(a.get("bytes", "1000000000")), dir == "up",
                            std::stoi(a.get("streams", "1")));
        }
        if (cmd == "ping")
            return cmd_ping(port, std::stoi(a.get("count", "2000")), std::stoi(a.get("warmup", "200")),
                            static_cast<std::uint32_t>(std::stoul(a.get("size", "64"))), a.get("load", ""),
                            std::stoi(a.get("load-port", a.pos[1])), std::stod(a.get("load-settle", "0.3")), std::stod(a.get("max-seconds", "0")),
                            std::stoi(a.get("min-count", "100")), a.get("load-priority", "idle") == "idle");
        if (cmd == "setup")
            return cmd_setup(port, std::stod(a.get("seconds", "1")), std::stoi(a.get("threads", "8")));
        if (cmd == "idle") {
            std::vector<int> ports;
            std::string list = a.pos[1];
            for (std::size_t at = 0; at <= list.size();) {
                const auto comma = std::min(list.find(',', at), list.size());
                ports.push_back(std::stoi(list.substr(at, comma - at)));
                at = comma + 1;
            }
            return cmd_idle(ports, std::stoi(a.get("count", "100")));
        }
    } catch (const std::exception& e) {
        die(std::string("bad argument: ") + e.what());
    }
    usage();
}
