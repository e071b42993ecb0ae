#pragma once
// The resume tickets the relay issued (docs/PROTOCOL.md §3.6): which session
// each one brings back, and for which key. A ticket is a bearer secret, good
// only for the key it was issued to.
#include <array>
#include <cstdint>
#include <map>
#include <optional>

#include "crypto/identity.hpp"
#include "proto/control.hpp"
#include "relay/session_id.hpp"

namespace burrow::relay {

class ResumeTickets {
public:
    // A fresh random ticket for `session` of `key`; an older one of that session is forgotten.
    proto::ResumeTicket issue(SessionId session, const crypto::PublicKey& key);
    // The session `presented` brings back, if this relay issued it to `key`
    // (the secret is compared in constant time).
    std::optional<SessionId> redeem(const proto::ResumeTicket& presented, const crypto::PublicKey& key) const;
    void forget(SessionId session);
    std::size_t size() const noexcept { return by_id_.size(); }

private:
    using TicketId = std::array<std::uint8_t, 16>;
    struct Issued {
        SessionId session = SessionId::none;
        crypto::PublicKey key;
        std::array<std::uint8_t, 32> secret{};
    };
    std::map<TicketId, Issued> by_id_;
    std::map<SessionId, TicketId> of_session_;
};

}  // namespace burrow::relay
