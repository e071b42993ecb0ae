// What Relay::status() reports: who is online and what went through.
#include <algorithm>
#include <set>
#include <tuple>

#include "io/session.hpp"
#include "relay/relay.hpp"

namespace burrow::relay {

RelayStatus Relay::status() const {
    RelayStatus status;
    status.listen = bound_.str();
    status.started = started_;
    status.now = unix_now();
    status.handshakes_pending = admission_.pending();
    status.streams_waiting = held_.size();
    status.totals = *totals_;
    status.counters = counters_;
    std::set<SessionId> endpoints;
    for (const auto& [name, entry] : registry_.entries()) {
        const auto* record = sessions_.find(entry.session);
        const auto session = record ? record->session.lock() : nullptr;
        if (!session || session->closed()) continue;
        endpoints.insert(entry.session);
        status.endpoints.push_back(SessionStatus{name, record->key.fingerprint(), session->peer(), entry.since,
                                                 session->suspended(), entry.services, *record->traffic});
    }
    for (const auto& [id, record] : sessions_.records()) {
        const auto session = record.session.lock();
        if (!session || session->closed() || endpoints.count(id)) continue;
        status.clients.push_back(SessionStatus{options_.policy.label_of(record.key), record.key.fingerprint(),
                                               session->peer(), record.since, session->suspended(), {},
                                               *record.traffic});
    }
    std::sort(status.clients.begin(), status.clients.end(), [](const auto& a, const auto& b) {
        return std::tie(a.name, a.since, a.address) < std::tie(b.name, b.since, b.address);
    });
    return status;
}

}  // namespace burrow::relay
