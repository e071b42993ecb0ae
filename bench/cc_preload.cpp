// cc_preload: an LD_PRELOAD library that gives every TCP socket a process
// creates the congestion control named in BENCH_TCP_CONGESTION (TCP_CONGESTION
// right after socket()), for programs that have no setting of their own:
// bench/run's lossy path runs ssh and sshd with it (--lossy-ssh-cc). A
// listening socket passes it on to the connections it accepts. Setting one
// outside net.ipv4.tcp_allowed_congestion_control needs CAP_NET_ADMIN; if the
// kernel refuses, the socket keeps the default and the library says nothing.
//
//   g++ -O2 -shared -fPIC -o cc_preload.so cc_preload.cpp -ldl
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>

extern "C" int socket(int domain, int type, int protocol) {
    using Fn = int (*)(int, int, int);
    static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "socket"));
    int fd = real(domain, type, protocol);
    const char* cc = std::getenv("BENCH_TCP_CONGESTION");
    if (fd >= 0 && cc && *cc && (domain == AF_INET || domain == AF_INET6) && (type & 0xff) == SOCK_STREAM &&
        (protocol == 0 || protocol == IPPROTO_TCP))
        setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, socklen_t(std::strlen(cc)));
    return fd;
}
