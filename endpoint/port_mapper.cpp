#include "endpoint/port_mapper.hpp"

#include <spdlog/spdlog.h>

#include "endpoint/natpmp.hpp"
#include "endpoint/upnp.hpp"

namespace burrow::endpoint {

namespace {

constexpr int kDiscoverMs = 2000;
constexpr unsigned kLeaseSeconds = 3600;
constexpr auto kRetry = std::chrono::seconds(60);          // after a refusal, quietly
constexpr auto kRenewPermanent = std::chrono::seconds(1800);  // a permanent mapping is re-added too (router reboots)

std::string describe(const Mapping& m) {
    return m.external_address + ":" + std::to_string(m.external_port);
}

// UPnP IGD first; NAT-PMP when no UPnP gateway answers. A gateway that answers
// UPnP but refuses the mapping is not asked again over NAT-PMP: it is the same router.
std::unique_ptr<MappingRouter> find_router(std::string& why) {
    if (auto upnp = UpnpRouter::discover(kDiscoverMs, why)) return upnp;
    std::string natpmp_why;
    if (auto natpmp = NatPmpRouter::discover(kDiscoverMs, natpmp_why)) return natpmp;
    why += ", and " + natpmp_why;
    return nullptr;
}

}  // namespace

PortMapper::PortMapper(io::asio::any_io_executor ex, std::uint16_t internal_port, std::string description,
                       OnChange on_change)
    : ex_(std::move(ex)),
      internal_port_(internal_port),
      description_(std::move(description)),
      on_change_(std::move(on_change)) {}

PortMapper::~PortMapper() { stop(); }

void PortMapper::start() {
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void PortMapper::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool PortMapper::sleep_for(std::chrono::seconds duration) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, duration, [this] { return stopping_; });
}

void PortMapper::report(const std::optional<Mapping>& mapping) {
    io::asio::post(ex_, [on_change = on_change_, mapping] { on_change(mapping); });
}

void PortMapper::run() {
    std::string last_refusal;
    const auto refused = [&](const std::string& why) {
        if (why != last_refusal)
            spdlog::warn("direct path: {}; clients reach this endpoint through the relay (retrying every {} s)", why,
                         kRetry.count());
        else
            spdlog::debug("direct path: {}", why);
        last_refusal = why;
    };
    do {
        std::string why;
        auto router = find_router(why);
        Mapping mapping;
        if (!router || !router->map(internal_port_, kLeaseSeconds, description_, mapping, why)) {
            refused(why);
            continue;
        }
        last_refusal.clear();
        spdlog::info("direct path: the router {} maps {} to this endpoint's direct listener {}:{} ({}, {})",
                     mapping.router, describe(mapping), mapping.lan_address, mapping.internal_port, mapping.protocol,
                     mapping.lease_seconds ? "lease " + std::to_string(mapping.lease_seconds) + " s, renewed at half"
                                           : "a permanent mapping, removed at exit");
        report(mapping);
        const auto renew_every =
            mapping.lease_seconds ? std::chrono::seconds(mapping.lease_seconds / 2) : kRenewPermanent;
        while (sleep_for(renew_every)) {
            const auto before = describe(mapping);
            if (!router->renew(mapping, description_, why)) {
                report(std::nullopt);
                refused(why);
                break;
            }
            if (describe(mapping) == before) {
                spdlog::debug("direct path: renewed {}", before);
                continue;
            }
            spdlog::info("direct path: the router {} moved the mapping {} to {}", mapping.router, before,
                         describe(mapping));
            report(mapping);
        }
        std::unique_lock lock(mutex_);
        if (stopping_) {
            lock.unlock();
            if (router->remove(mapping, why))
                spdlog::info("direct path: removed the mapping {} from the router {}", describe(mapping), mapping.router);
            else
                spdlog::warn("direct path: {}", why);
            return;
        }
    } while (sleep_for(kRetry));
}

}  // namespace burrow::endpoint
