#include "relay/resume_tickets.hpp"

#include <sodium.h>

namespace burrow::relay {

proto::ResumeTicket ResumeTickets::issue(SessionId session, const crypto::PublicKey& key) {
    forget(session);
    proto::ResumeTicket ticket;
    do {
        randombytes_buf(ticket.id.data(), ticket.id.size());
    } while (by_id_.count(ticket.id) != 0);
    randombytes_buf(ticket.secret.data(), ticket.secret.size());
    by_id_[ticket.id] = Issued{session, key, ticket.secret};
    of_session_[session] = ticket.id;
    return ticket;
}

std::optional<SessionId> ResumeTickets::redeem(const proto::ResumeTicket& presented,
                                               const crypto::PublicKey& key) const {
    const auto it = by_id_.find(presented.id);
    if (it == by_id_.end() || it->second.key != key) return std::nullopt;
    if (sodium_memcmp(it->second.secret.data(), presented.secret.data(), presented.secret.size()) != 0)
        return std::nullopt;
    return it->second.session;
}

void ResumeTickets::forget(SessionId session) {
    const auto it = of_session_.find(session);
    if (it == of_session_.end()) return;
    if (const auto issued = by_id_.find(it->second); issued != by_id_.end()) {
        sodium_memzero(issued->second.secret.data(), issued->second.secret.size());
        by_id_.erase(issued);
    }
    of_session_.erase(it);
}

}  // namespace burrow::relay
