#include "relay/hold_queue.hpp"

namespace burrow::relay {

bool HoldQueue::hold(SessionId from, const crypto::PublicKey& client, proto::StreamId id, std::string target,
                     std::string endpoint, Clock::time_point now) {
    held_.push_back(HeldStream{from, client, id, std::move(target), std::move(endpoint), now + wait_});
    return held_.size() == 1;
}

std::vector<HeldStream> HoldQueue::release(const std::string& endpoint) {
    std::vector<HeldStream> out;
    for (auto it = held_.begin(); it != held_.end();) {
        if (it->endpoint != endpoint) {
            ++it;
            continue;
        }
        out.push_back(std::move(*it));
        it = held_.erase(it);
    }
    return out;
}

std::vector<HeldStream> HoldQueue::expire(Clock::time_point now) {
    std::vector<HeldStream> out;
    while (!held_.empty() && held_.front().until <= now) {
        out.push_back(std::move(held_.front()));
        held_.pop_front();
    }
    return out;
}

std::optional<HoldQueue::Clock::time_point> HoldQueue::next_expiry() const {
    if (held_.empty()) return std::nullopt;
    return held_.front().until;
}

}  // namespace burrow::relay
