#include "relay/wake_book.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "crypto/key_files.hpp"

namespace burrow::relay {

namespace {

bool same_subnet(const proto::LanInterface& a, const proto::LanInterface& b) {
    return a.prefix == b.prefix && a.prefix > 0 && proto::subnet_text(a) == proto::subnet_text(b);
}

// "MAC/ADDRESS/PREFIX"
std::string interface_text(const proto::LanInterface& itf) {
    proto::MacAddress mac;
    std::copy(itf.mac.begin(), itf.mac.end(), mac.begin());
    return proto::format_mac(mac) + "/" + proto::ipv4_text(itf.address) + "/" + std::to_string(itf.prefix);
}

std::optional<proto::LanInterface> parse_interface(const std::string& text) {
    const auto a = text.find('/'), b = text.rfind('/');
    if (a == std::string::npos || a == b) return std::nullopt;
    const auto mac = proto::parse_mac(text.substr(0, a));
    proto::LanInterface itf;
    unsigned parts[4] = {}, prefix = 0;
    char tail = 0;
    if (!mac || std::sscanf(text.substr(a + 1).c_str(), "%u.%u.%u.%u/%u%c", &parts[0], &parts[1], &parts[2], &parts[3],
                            &prefix, &tail) != 5 || prefix > 32)
        return std::nullopt;
    for (int i = 0; i < 4; ++i) {
        if (parts[i] > 255) return std::nullopt;
        itf.address[i] = static_cast<std::uint8_t>(parts[i]);
    }
    std::copy(mac->begin(), mac->end(), itf.mac.begin());
    itf.prefix = static_cast<std::uint8_t>(prefix);
    return itf;
}

}  // namespace

WakeBook::WakeBook(std::string state_file) : state_file_(std::move(state_file)) {
    if (state_file_.empty()) return;
    std::ifstream in(state_file_);
    std::string line;
    while (std::getline(in, line)) {
        // NAME PUBLIC_ADDRESS LAST_SEEN MAC/ADDRESS/PREFIX...
        std::istringstream words(line);
        std::string name, address, item;
        WakeFacts facts;
        if (line.empty() || line[0] == '#' || !(words >> name >> address >> facts.last_seen)) continue;
        if (!proto::is_valid_name(name)) continue;
        facts.public_address = address == "-" ? "" : address;
        while (words >> item && facts.interfaces.size() < proto::kMaxLanInterfaces)
            if (const auto itf = parse_interface(item)) facts.interfaces.push_back(*itf);
        facts_[name] = std::move(facts);
    }
}

std::string WakeBook::report(const std::string& name, std::vector<proto::LanInterface> interfaces,
                             std::string public_address, std::int64_t now) {
    auto& facts = facts_[name];
    facts.interfaces = std::move(interfaces);
    facts.public_address = std::move(public_address);
    facts.last_seen = now;
    return save();
}

std::string WakeBook::seen(const std::string& name, std::int64_t now) {
    const auto it = facts_.find(name);
    if (it == facts_.end()) return {};
    it->second.last_seen = now;
    return save();
}

std::vector<std::string> WakeBook::known() const {
    std::vector<std::string> names;
    for (const auto& [name, facts] : facts_) names.push_back(name);
    return names;
}

std::vector<std::string> WakeBook::wakers(const std::string& target, const std::vector<std::string>& online) const {
    std::vector<std::string> names;
    for (const auto& p : plans(target, online)) names.push_back(p.via);
    return names;
}

const WakeFacts* WakeBook::facts(const std::string& name) const {
    const auto it = facts_.find(name);
    return it == facts_.end() ? nullptr : &it->second;
}

std::string WakeBook::save() const {
    if (state_file_.empty()) return {};
    std::string text = "# burrow relay state: endpoint public-address last-seen mac/address/prefix...\n";
    for (const auto& [name, facts] : facts_) {
        text += name + " " + (facts.public_address.empty() ? "-" : facts.public_address) + " " +
                std::to_string(facts.last_seen);
        for (const auto& itf : facts.interfaces) text += " " + interface_text(itf);
        text += "\n";
    }
    try {
        crypto::replace_file(state_file_, text, 0600);
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

std::vector<WakeBook::Plan> WakeBook::plans(const std::string& target, const std::vector<std::string>& online) const {
    std::vector<Plan> out;
    const auto* target_facts = facts(target);
    const auto config_it = config_.find(target);
    const WakeConfig config = config_it == config_.end() ? WakeConfig{} : config_it->second;
    const std::vector<proto::LanInterface> target_lans =
        target_facts ? target_facts->interfaces : std::vector<proto::LanInterface>{};
    if (!config.mac && target_lans.empty()) return out;
    const auto mac_for = [&](const proto::LanInterface* lan) {
        if (config.mac) return *config.mac;
        proto::MacAddress mac{};
        const auto& from = lan ? lan->mac : target_lans.front().mac;
        std::copy(from.begin(), from.end(), mac.begin());
        return mac;
    };
    // Named in `via` first, in that order; then any endpoint on the same LAN.
    std::vector<std::string> candidates;
    for (const auto& v : config.via)
        if (std::find(online.begin(), online.end(), v) != online.end()) candidates.push_back(v);
    for (const auto& o : online)
        if (o != target && std::find(candidates.begin(), candidates.end(), o) == candidates.end())
            candidates.push_back(o);
    for (const auto& peer : candidates) {
        const auto* peer_facts = facts(peer);
        if (!peer_facts || peer_facts->interfaces.empty()) continue;
        const bool named = std::find(config.via.begin(), config.via.end(), peer) != config.via.end();
        const bool same_place = target_facts && !target_facts->public_address.empty() &&
                                target_facts->public_address == peer_facts->public_address;
        for (const auto& mine : peer_facts->interfaces) {
            const auto shared = std::find_if(target_lans.begin(), target_lans.end(),
                                             [&](const auto& t) { return same_subnet(t, mine); });
            if (!named && (shared == target_lans.end() || !same_place)) continue;
            const auto mac = mac_for(shared == target_lans.end() ? nullptr : &*shared);
            proto::WakeOrder order;
            std::copy(mac.begin(), mac.end(), order.mac.begin());
            order.broadcast = proto::broadcast_of(mine);
            out.push_back(Plan{peer, order});
            break;
        }
    }
    return out;
}

std::variant<WakeBook::Plan, std::string> WakeBook::plan(const std::string& target,
                                                          const std::vector<std::string>& online) const {
    const auto* target_facts = facts(target);
    const auto config_it = config_.find(target);
    const bool mac_configured = config_it != config_.end() && config_it->second.mac;
    if (!target_facts && !mac_configured)
        return "this relay does not know endpoint '" + target +
               "' (it learns its MAC when the endpoint registers, or from wake = { mac = ... } in the relay config)";
    if (!mac_configured && target_facts->interfaces.empty())
        return "endpoint '" + target + "' reported no LAN interface with a MAC address";
    if (auto all = plans(target, online); !all.empty()) return all.front();
    std::string where;
    if (target_facts)
        for (const auto& lan : target_facts->interfaces) where += (where.empty() ? "" : ", ") + proto::subnet_text(lan);
    return "no online endpoint on endpoint '" + target + "''s LAN can wake it" +
           (where.empty() ? std::string{} : " (" + where + ")") +
           ": run an endpoint on an always-on machine there, or name one in the relay config (wake = { via = [...] })";
}

}  // namespace burrow::relay
