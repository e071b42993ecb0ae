// delay_line: a packet-level delay on a wire of the namespace network
// (bench/run, workload `lossypath`).
//
//   delay_line IFACE_A IFACE_B DELAY_MS [LIMIT_MB]
//
// Joins two interfaces of one namespace like a wire: every IPv4 and ARP frame
// that arrives on one is sent out of the other DELAY_MS later (a fixed delay
// each way, so a round trip over it takes 2 x DELAY_MS more). It works on
// frames, not on TCP connections: the two ends' TCP sees the delay (and any
// loss on the wire) itself, as on a long path. The kernel here has no netem
// qdisc, which is why this exists.
//
// The sockets are bound to ETH_P_IP and ETH_P_ARP rather than ETH_P_ALL:
// protocol sockets get a frame after the netdev ingress hook, so the drops of
// tests/support/testnet.sh `loss` (an nft rule there) happen before this
// sees the frame. PACKET_VNET_HDR carries GSO and checksum state across, so
// large segments of veth pass whole. At most LIMIT_MB (default 64) may be
// in flight each way; beyond that a frame is dropped, as a full router queue
// would. Prints "ready" once the sockets are bound; runs until killed.
#include <arpa/inet.h>
#include <linux/if_packet.h>

#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

namespace {

int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "delay_line: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

int packet_socket(const char* ifname, uint16_t proto) {
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(proto));
    if (fd < 0) die("socket");
    int one = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) die("PACKET_VNET_HDR");
    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);  // kernels >= 4.20
    int buf = 32 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(proto);
    sll.sll_ifindex = int(if_nametoindex(ifname));
    if (sll.sll_ifindex == 0) die(ifname);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) die("bind");
    return fd;
}

struct Frame {
    int64_t due;
    int out_fd;
    std::vector<uint8_t> bytes;
};

struct Direction {
    std::deque<Frame> queue;
    size_t bytes = 0;
    uint64_t dropped = 0;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: delay_line IFACE_A IFACE_B DELAY_MS [LIMIT_MB]\n");
        return 2;
    }
    const int64_t delay = int64_t(std::atof(argv[3]) * 1e6);
    const size_t limit = size_t(argc > 4 ? std::atof(argv[4]) : 64) << 20;
    const uint16_t protos[2] = {ETH_P_IP, ETH_P_ARP};
    // fds[side][proto]; what arrives on side s leaves on side 1 - s with the same protocol
    int fds[2][2];
    for (int s = 0; s < 2; ++s)
        for (int p = 0; p < 2; ++p) fds[s][p] = packet_socket(argv[1 + s], protos[p]);
    Direction dirs[2];
    std::printf("ready\n");
    std::fflush(stdout);

    std::vector<uint8_t> buf(12 /* struct virtio_net_hdr (10), rounded up */ + 256 * 1024);
    pollfd pfds[4];
    for (int s = 0; s < 2; ++s)
        for (int p = 0; p < 2; ++p) pfds[s * 2 + p] = {fds[s][p], POLLIN, 0};
    for (;;) {
        int64_t now = now_ns(), wait = -1;
        for (auto& d : dirs)
            if (!d.queue.empty()) {
                int64_t w = std::max<int64_t>(0, d.queue.front().due - now);
                wait = wait < 0 ? w : std::min(wait, w);
            }
        timespec ts{wait / 1000000000, wait % 1000000000};
        if (ppoll(pfds, 4, wait < 0 ? nullptr : &ts, nullptr) < 0 && errno != EINTR) die("ppoll");
        now = now_ns();
        for (int s = 0; s < 2; ++s)
            for (int p = 0; p < 2; ++p) {
                if (!(pfds[s * 2 + p].revents & POLLIN)) continue;
                for (;;) {
                    ssize_t n = recv(fds[s][p], buf.data(), buf.size(), MSG_DONTWAIT);
                    if (n <= 0) break;
                    Direction& d = dirs[s];
                    if (d.bytes + size_t(n) > limit) {
                        ++d.dropped;
                        continue;
                    }
                    d.bytes += size_t(n);
                    d.queue.push_back({now + delay, fds[1 - s][p], std::vector<uint8_t>(buf.begin(), buf.begin() + n)});
                }
            }
        now = now_ns();
        for (auto& d : dirs)
            while (!d.queue.empty() && d.queue.front().due <= now) {
                Frame& f = d.queue.front();
                if (send(f.out_fd, f.bytes.data(), f.bytes.size(), 0) < 0 && errno != ENOBUFS && errno != EAGAIN)
                    std::fprintf(stderr, "delay_line: send: %s\n", std::strerror(errno));
                d.bytes -= f.bytes.size();
                d.queue.pop_front();
            }
    }
}
