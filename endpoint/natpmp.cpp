#include "endpoint/natpmp.hpp"

#define ENABLE_STRNATPMPERR
#include <natpmp.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace burrow::endpoint {

namespace {

std::string ipv4_text(in_addr address) {
    char text[INET_ADDRSTRLEN] = {};
    return ::inet_ntop(AF_INET, &address, text, sizeof text) ? text : "";
}

}  // namespace

struct NatPmpRouter::State {
    natpmp_t pmp{};
    bool open = false;
    int wait_ms = 0;
    std::string router;
    std::string lan_address;
    std::string external_address;

    ~State() {
        if (open) closenatpmp(&pmp);
    }

    // Waits up to wait_ms for the answer to the request just sent; libnatpmp
    // resends it on its own schedule meanwhile. NATPMP_TRYAGAIN: no answer.
    int answer(natpmpresp_t& response) {
        using namespace std::chrono;
        const auto deadline = steady_clock::now() + milliseconds(wait_ms);
        for (;;) {
            const int r = readnatpmpresponseorretry(&pmp, &response);
            if (r != NATPMP_TRYAGAIN) return r;
            const long left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
            if (left <= 0) return NATPMP_TRYAGAIN;
            timeval retry{};
            getnatpmprequesttimeout(&pmp, &retry);
            const long retry_ms = static_cast<long>(retry.tv_sec) * 1000 + retry.tv_usec / 1000;
            pollfd fd{pmp.s, POLLIN, 0};
            ::poll(&fd, 1, static_cast<int>(std::clamp(retry_ms, 1L, left)));
        }
    }

    // Sends a mapping request and checks the answer is the one asked for.
    int request_mapping(std::uint16_t internal_port, std::uint16_t external_port, unsigned lifetime,
                        natpmpresp_t& response) {
        int r = sendnewportmappingrequest(&pmp, NATPMP_PROTOCOL_TCP, internal_port, external_port, lifetime);
        if (r >= 0) r = answer(response);
        if (r >= 0 && (response.type != NATPMP_RESPTYPE_TCPPORTMAPPING ||
                       response.pnu.newportmapping.privateport != internal_port))
            r = NATPMP_ERR_UNDEFINEDERROR;
        return r;
    }

    std::string failure(int r) const {
        const int error = errno;
        switch (r) {
        case NATPMP_TRYAGAIN:
        case NATPMP_ERR_NOGATEWAYSUPPORT:
            return "the gateway " + router + " did not answer NAT-PMP within " + std::to_string(wait_ms) + " ms";
        case NATPMP_ERR_RECVFROM:
            if (error == ECONNREFUSED)
                return "the gateway " + router + " does not speak NAT-PMP (its UDP port 5351 is closed)";
            break;
        case NATPMP_ERR_NOTAUTHORIZED:
            return "the gateway " + router + " refuses to map ports for this machine (" + lan_address +
                   "): NAT-PMP says not authorized";
        case NATPMP_ERR_NETWORKFAILURE:
            return "the gateway " + router +
                   " says its own internet connection is down (NAT-PMP network failure); a router whose WAN "
                   "address is private, as behind a carrier-grade NAT, may say this too";
        case NATPMP_ERR_OUTOFRESOURCES:
            return "the gateway " + router + " has no port left to map (NAT-PMP: out of resources)";
        default:
            break;
        }
        const char* text = strnatpmperr(r);
        return "NAT-PMP to the gateway " + router + ": " + (text ? text : "error " + std::to_string(r));
    }
};

NatPmpRouter::NatPmpRouter(std::unique_ptr<State> state) : state_(std::move(state)) {}
NatPmpRouter::~NatPmpRouter() = default;

std::unique_ptr<NatPmpRouter> NatPmpRouter::discover(int wait_ms, std::string& why) {
    auto state = std::make_unique<State>();
    state->wait_ms = wait_ms;
    if (const int r = initnatpmp(&state->pmp, 0, 0); r < 0) {
        const char* text = strnatpmperr(r);
        why = r == NATPMP_ERR_CANNOTGETGATEWAY ? std::string("this machine has no default gateway to ask for NAT-PMP")
                                               : std::string("NAT-PMP: ") + (text ? text : "cannot start");
        return nullptr;
    }
    state->open = true;
    in_addr gateway{};
    gateway.s_addr = state->pmp.gateway;
    state->router = ipv4_text(gateway);
    sockaddr_in local{};
    socklen_t length = sizeof local;
    if (::getsockname(state->pmp.s, reinterpret_cast<sockaddr*>(&local), &length) == 0)
        state->lan_address = ipv4_text(local.sin_addr);

    natpmpresp_t response{};
    int r = sendpublicaddressrequest(&state->pmp);
    if (r >= 0) r = state->answer(response);
    if (r >= 0 && response.type != NATPMP_RESPTYPE_PUBLICADDRESS) r = NATPMP_ERR_UNDEFINEDERROR;
    if (r < 0) {
        why = state->failure(r);
        return nullptr;
    }
    state->external_address = ipv4_text(response.pnu.publicaddress.addr);
    why = unreachable_external_address(state->router, state->external_address);
    if (!why.empty()) return nullptr;
    return std::unique_ptr<NatPmpRouter>(new NatPmpRouter(std::move(state)));
}

// NAT-PMP mappings carry no description.
bool NatPmpRouter::map(std::uint16_t internal_port, unsigned lease_seconds, const std::string&, Mapping& out,
                       std::string& why) {
    auto& s = *state_;
    natpmpresp_t response{};
    if (const int r = s.request_mapping(internal_port, internal_port, lease_seconds, response); r < 0) {
        why = s.failure(r);
        return false;
    }
    out = Mapping{s.router,      s.lan_address, s.external_address, response.pnu.newportmapping.mappedpublicport,
                  internal_port, response.pnu.newportmapping.lifetime, "NAT-PMP"};
    return true;
}

bool NatPmpRouter::renew(Mapping& m, const std::string&, std::string& why) {
    auto& s = *state_;
    natpmpresp_t response{};
    if (const int r = s.request_mapping(m.internal_port, m.external_port, m.lease_seconds, response); r < 0) {
        why = "renewing the mapping of TCP port " + std::to_string(m.external_port) + ": " + s.failure(r);
        return false;
    }
    m.external_port = response.pnu.newportmapping.mappedpublicport;
    m.lease_seconds = response.pnu.newportmapping.lifetime;
    return true;
}

bool NatPmpRouter::remove(const Mapping& m, std::string& why) {
    auto& s = *state_;
    natpmpresp_t response{};
    if (const int r = s.request_mapping(m.internal_port, 0, 0, response); r < 0) {
        why = "removing the mapping of TCP port " + std::to_string(m.external_port) + ": " + s.failure(r);
        return false;
    }
    return true;
}

}  // namespace burrow::endpoint
