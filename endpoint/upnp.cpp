#include "endpoint/upnp.hpp"

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>

#include <array>

namespace burrow::endpoint {

namespace {

constexpr int kConflict = 718;             // ConflictInMappingEntry: the port is another host's
constexpr int kPermanentOnly = 725;        // OnlyPermanentLeasesSupported
constexpr int kNotAuthorized = 606;        // the router maps nothing for this host
constexpr int kPortTries = 8;              // external ports tried: the internal one, then a few above it

std::string upnp_error(int code) {
    const char* text = strupnperror(code);
    return text ? std::string(text) + " (" + std::to_string(code) + ")" : "error " + std::to_string(code);
}

}  // namespace

struct UpnpRouter::State {
    UPNPUrls urls{};
    IGDdatas data{};
    std::string lan_address;
    std::string router;
    bool connected = true;  // as the router says; one behind another NAT may say not
    ~State() { FreeUPNPUrls(&urls); }
};

UpnpRouter::UpnpRouter(std::unique_ptr<State> state) : state_(std::move(state)) {}
UpnpRouter::~UpnpRouter() = default;

std::unique_ptr<UpnpRouter> UpnpRouter::discover(int wait_ms, std::string& why) {
    int error = 0;
    UPNPDev* devices = upnpDiscover(wait_ms, nullptr, nullptr, 0, 0, 2, &error);
    if (!devices) {
        why = "no UPnP router answered on the LAN within " + std::to_string(wait_ms) + " ms";
        return nullptr;
    }
    auto state = std::make_unique<State>();
    std::array<char, 64> lan{};
    const int found = UPNP_GetValidIGD(devices, &state->urls, &state->data, lan.data(), static_cast<int>(lan.size()));
    freeUPNPDevlist(devices);
    if (found == 0) {
        why = "UPnP devices answered, but none is an Internet gateway";
        return nullptr;
    }
    state->router = state->urls.controlURL ? state->urls.controlURL : "";
    if (const auto start = state->router.find("//"); start != std::string::npos) {
        const auto end = state->router.find('/', start + 2);
        state->router = state->router.substr(start + 2, end == std::string::npos ? end : end - start - 2);
    }
    state->connected = found == 1;
    if (found != 1 && found != 2) {
        why = "the UPnP device " + state->router + " is not an Internet gateway";
        return nullptr;
    }
    state->lan_address = lan.data();
    return std::unique_ptr<UpnpRouter>(new UpnpRouter(std::move(state)));
}

bool UpnpRouter::map(std::uint16_t internal_port, unsigned lease_seconds, const std::string& description, Mapping& out,
                     std::string& why) {
    const auto& s = *state_;
    std::array<char, 40> external{};
    const int r = UPNP_GetExternalIPAddress(s.urls.controlURL, s.data.first.servicetype, external.data());
    const std::string address = r == UPNPCOMMAND_SUCCESS ? external.data() : "";
    if (address.empty() && !s.connected) {
        why = "the UPnP router " + s.router +
              " says it is not connected to the internet and tells no external address; a router whose own "
              "WAN address is private, as behind a carrier-grade NAT, says this too, and a port mapped there "
              "could not be reached from outside";
        return false;
    }
    if (r != UPNPCOMMAND_SUCCESS) {
        why = "the router " + s.router + " did not tell its external address: " + upnp_error(r);
        return false;
    }
    why = unreachable_external_address(s.router, address);
    if (!why.empty()) return false;
    if (!s.connected) {
        why = "the UPnP router " + s.router + " says it is not connected to the internet";
        return false;
    }
    const std::string in_port = std::to_string(internal_port);
    std::string lease = std::to_string(lease_seconds);
    for (int attempt = 0; attempt < kPortTries; ++attempt) {
        const unsigned port = internal_port + static_cast<unsigned>(attempt);
        if (port > 65535) break;
        const std::string ext_port = std::to_string(port);
        int r = UPNP_AddPortMapping(s.urls.controlURL, s.data.first.servicetype, ext_port.c_str(), in_port.c_str(),
                                    s.lan_address.c_str(), description.c_str(), "TCP", nullptr, lease.c_str());
        if (r == kPermanentOnly) {
            lease = "0";
            r = UPNP_AddPortMapping(s.urls.controlURL, s.data.first.servicetype, ext_port.c_str(), in_port.c_str(),
                                    s.lan_address.c_str(), description.c_str(), "TCP", nullptr, lease.c_str());
        }
        if (r == UPNPCOMMAND_SUCCESS) {
            out = Mapping{s.router, s.lan_address, address, static_cast<std::uint16_t>(port), internal_port,
                          static_cast<unsigned>(std::stoul(lease)), "UPnP"};
            return true;
        }
        if (r == kConflict) continue;
        why = r == kNotAuthorized
                  ? "the router " + s.router + " refuses to map ports for this machine (" + s.lan_address +
                        "): " + upnp_error(r)
                  : "the router " + s.router + " refused the mapping of TCP port " + ext_port + ": " + upnp_error(r);
        return false;
    }
    why = "the router " + s.router + " has TCP ports " + in_port + " to " +
          std::to_string(internal_port + kPortTries - 1) + " mapped to other machines already";
    return false;
}

bool UpnpRouter::renew(Mapping& m, const std::string& description, std::string& why) {
    const auto& s = *state_;
    const std::string ext_port = std::to_string(m.external_port);
    const std::string in_port = std::to_string(m.internal_port);
    const std::string lease = std::to_string(m.lease_seconds);
    const int r = UPNP_AddPortMapping(s.urls.controlURL, s.data.first.servicetype, ext_port.c_str(), in_port.c_str(),
                                      m.lan_address.c_str(), description.c_str(), "TCP", nullptr, lease.c_str());
    if (r == UPNPCOMMAND_SUCCESS) return true;
    why = "renewing the mapping of TCP port " + ext_port + " on " + s.router + ": " + upnp_error(r);
    return false;
}

bool UpnpRouter::remove(const Mapping& m, std::string& why) {
    const auto& s = *state_;
    const std::string ext_port = std::to_string(m.external_port);
    const int r = UPNP_DeletePortMapping(s.urls.controlURL, s.data.first.servicetype, ext_port.c_str(), "TCP", nullptr);
    if (r == UPNPCOMMAND_SUCCESS) return true;
    why = "removing the mapping of TCP port " + ext_port + " on " + s.router + ": " + upnp_error(r);
    return false;
}

}  // namespace burrow::endpoint
