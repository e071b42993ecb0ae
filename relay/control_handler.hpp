#pragma once
// What the relay answers to CONTROL messages (docs/PROTOCOL.md §5): REGISTER,
// LIST, CHECK, DETAILS, DIRECT_INFO, DIRECT_REQUEST, LAN_INFO and WAKE. It
// decides, the relay carries out: no sockets here.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/identity.hpp"
#include "proto/control.hpp"
#include "relay/policy.hpp"
#include "relay/registry.hpp"
#include "relay/session_id.hpp"
#include "relay/status.hpp"
#include "relay/target_check.hpp"
#include "relay/wake_book.hpp"

namespace burrow::relay {

// Who sent the message.
struct ControlSender {
    SessionId session = SessionId::none;
    crypto::PublicKey key;
    std::string address;    // the host its session comes from
    std::size_t room = 0;   // the largest CONTROL payload its peer takes
};

// What the relay does about it.
struct ControlOutcome {
    std::optional<proto::ControlMessage> reply;  // to the sender
    std::optional<SessionId> replaced;           // an older session of an endpoint that registered again: to close
    std::string online;                          // a name now online (the relay says so): the streams held for it go on
    std::optional<SessionId> wake_via;           // the session to send wake_order to
    proto::WakeOrder wake_order;
};

class ControlHandler {
public:
    // The policy, registry, wake book and counters are the relay's, and outlive this.
    ControlHandler(const Policy& policy, Registry& registry, WakeBook& wake_book, RelayCounters& counters)
        : policy_(policy), registry_(registry), wake_book_(wake_book), counters_(counters) {}

    // `now` in seconds since the epoch.
    ControlOutcome handle(const ControlSender& from, proto::ControlMessage&& message, std::int64_t now);
    // The endpoints online, with what the relay knows of each.
    std::vector<OnlineEndpoint> online() const;

private:
    ControlOutcome on_register(const ControlSender& from, proto::Register&& reg, std::int64_t now);
    ControlOutcome on_wake(const ControlSender& from, const std::string& name);

    const Policy& policy_;
    Registry& registry_;
    WakeBook& wake_book_;
    RelayCounters& counters_;
};

}  // namespace burrow::relay
