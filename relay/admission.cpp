#include "relay/admission.hpp"

#include <algorithm>

#include "relay/ip_address.hpp"

namespace burrow::relay {

Admission::Entry Admission::admit(std::string_view address, Clock::time_point now) {
    std::string source = source_of(address);
    Entry entry;
    entry.known = known_source(source, now);
    const std::size_t for_strangers = limits_.max_pending - std::min(limits_.reserved_for_known, limits_.max_pending);
    if (limits_.max_pending == 0 || limits_.max_pending_per_source == 0 || (!entry.known && for_strangers == 0))
        return entry;
    entry.id = next_++;
    ++per_source_[source];
    if (!entry.known) ++strangers_;
    pending_.emplace(entry.id, Pending{source, entry.known});
    // Each eviction removes an older entry than the new one, which every
    // over-full class still holds: the loop ends with the newcomer in.
    for (;;) {
        Id victim = 0;
        if (per_source_[source] > limits_.max_pending_per_source)
            victim = oldest(entry.id, [&](const Pending& p) { return p.source == source; });
        else if (strangers_ > for_strangers)
            victim = oldest(entry.id, [](const Pending& p) { return !p.known; });
        else if (pending_.size() > limits_.max_pending) {
            victim = oldest(entry.id, [](const Pending& p) { return !p.known; });
            if (victim == 0) victim = oldest(entry.id, [](const Pending&) { return true; });
        }
        if (victim == 0) break;
        remove(victim);
        entry.evicted.push_back(victim);
    }
    return entry;
}

template <class Pred>
Admission::Id Admission::oldest(Id except, Pred which) const {
    for (const auto& [id, p] : pending_)
        if (id != except && which(p)) return id;
    return 0;
}

void Admission::finished(Id id) { remove(id); }

void Admission::remove(Id id) {
    const auto it = pending_.find(id);
    if (it == pending_.end()) return;
    if (const auto s = per_source_.find(it->second.source); s != per_source_.end() && --s->second == 0)
        per_source_.erase(s);
    if (!it->second.known) --strangers_;
    pending_.erase(it);
}

void Admission::seen(std::string_view address, Clock::time_point now) {
    known_[source_of(address)] = now;
    if (known_.size() <= limits_.max_known_sources) return;
    const auto stalest = std::min_element(known_.begin(), known_.end(),
                                          [](const auto& a, const auto& b) { return a.second < b.second; });
    known_.erase(stalest);
}

bool Admission::known(std::string_view address, Clock::time_point now) const {
    return known_source(source_of(address), now);
}

bool Admission::known_source(const std::string& source, Clock::time_point now) const {
    const auto it = known_.find(source);
    return it != known_.end() && now - it->second <= limits_.known_for;
}

std::size_t Admission::pending_from(std::string_view address) const {
    const auto it = per_source_.find(source_of(address));
    return it == per_source_.end() ? 0 : it->second;
}

}  // namespace burrow::relay
