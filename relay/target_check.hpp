#pragma once
// What a client may see of the endpoints online, and what it is told about
// targets it names (CHECK_REQUEST, docs/PROTOCOL.md §5.3): whether each is
// there, offline, missing, or not granted — never naming an endpoint the
// client may not open.
#include <cstddef>
#include <string>
#include <vector>

#include "crypto/identity.hpp"
#include "proto/control.hpp"
#include "relay/policy.hpp"
#include "relay/wake_book.hpp"

namespace burrow::relay {

// The endpoints in `online` with the services `client` may open; those left with none are dropped.
std::vector<proto::EndpointInfo> visible_endpoints(const Policy& policy, std::vector<proto::EndpointInfo> online,
                                                   const crypto::PublicKey& client);

// One answer per target (well-formed "endpoint/service"), in order, cut to fit `max_payload` bytes.
proto::CheckReply check_targets(const Policy& policy, const std::vector<proto::EndpointInfo>& online,
                                const crypto::PublicKey& client, const std::vector<std::string>& targets,
                                std::size_t max_payload);

struct OnlineEndpoint {
    proto::EndpointInfo info;  // name and services
    std::int64_t since = 0;    // online since, seconds since the epoch
    std::string address;       // the public address its session comes from
    std::vector<std::string> candidates;  // its direct listener's addresses
};

// `burrow ls -l`: the endpoints `client` may open something on, online or
// (known to the policy and the wake book) offline, with what the relay knows
// of each; cut to fit `max_payload` bytes.
proto::DetailsReply endpoint_details(const Policy& policy, const std::vector<OnlineEndpoint>& online,
                                     const WakeBook& book, const crypto::PublicKey& client, std::size_t max_payload);

// DIRECT_REQUEST: `endpoint`'s key and direct candidates for a client that
// may open something on it while it is online (`online` null otherwise); else
// the same ERROR whether it is offline, unknown or not the client's to open.
proto::ControlMessage direct_answer(const Policy& policy, const std::string& endpoint, const OnlineEndpoint* online,
                                    const crypto::PublicKey& client);

}  // namespace burrow::relay
