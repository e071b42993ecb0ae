#pragma once
// What a test may watch, and change, of the streams a relay splices: the
// seam of tests/support/tap_relay.cpp, a relay in the middle that reads,
// alters or lies. burrow itself passes none (RelayOptions::splice_observer).
#include <cstdint>
#include <string>
#include <vector>

#include "proto/control.hpp"
#include "proto/mux.hpp"

namespace burrow::relay {

class SpliceObserver {
public:
    virtual ~SpliceObserver() = default;
    // Every chunk a splice receives from a side (0 = client, 1 = endpoint), before it is handed on.
    virtual void on_data(const std::string& target, int from_side, std::vector<std::uint8_t>& bytes) = 0;
    // The endpoint key the splice is about to name to the client in ACCEPT.
    virtual void on_accept(const std::string& target, proto::PeerKey& endpoint_key) = 0;
    // Every resume ticket the relay issues.
    virtual void on_ticket(const proto::ResumeTicket& /*ticket*/) {}
};

}  // namespace burrow::relay
