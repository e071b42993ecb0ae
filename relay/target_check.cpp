#include "relay/target_check.hpp"

#include <algorithm>

namespace burrow::relay {

namespace {

constexpr std::size_t kNamesWhenCut = 8;

const proto::EndpointInfo* find(const std::vector<proto::EndpointInfo>& endpoints, const std::string& name) {
    const auto it = std::find_if(endpoints.begin(), endpoints.end(), [&](const auto& e) { return e.name == name; });
    return it == endpoints.end() ? nullptr : &*it;
}

proto::TargetCheck check_one(const Policy& policy, const std::vector<proto::EndpointInfo>& online,
                             const std::vector<proto::EndpointInfo>& visible, const crypto::PublicKey& client,
                             const std::string& target) {
    using proto::TargetStatus;
    std::string name, service;
    proto::parse_target(target, name, service);
    const auto online_names = [&] {
        std::vector<std::string> names;
        for (const auto& e : visible) names.push_back(e.name);
        return names;
    };
    const auto* up = find(online, name);
    if (policy.may_open(client, target)) {
        if (!up) {
            if (policy.owner_of(name)) return {TargetStatus::offline, {}};
            return {TargetStatus::no_endpoint, online_names()};
        }
        if (std::find(up->services.begin(), up->services.end(), service) != up->services.end())
            return {TargetStatus::ok, {}};
        const auto* seen = find(visible, name);
        return {TargetStatus::no_service, seen ? seen->services : std::vector<std::string>{}};
    }
    // Not granted: say so only to a client that may open something else on that endpoint.
    if (policy.may_open_some(client, name) && (up || policy.owner_of(name))) return {TargetStatus::not_granted, {}};
    return {TargetStatus::no_endpoint, online_names()};
}

}  // namespace

std::vector<proto::EndpointInfo> visible_endpoints(const Policy& policy, std::vector<proto::EndpointInfo> online,
                                                   const crypto::PublicKey& client) {
    std::vector<proto::EndpointInfo> visible;
    for (auto& e : online) {
        std::erase_if(e.services, [&](const std::string& s) { return !policy.may_open(client, e.name + "/" + s); });
        if (!e.services.empty()) visible.push_back(std::move(e));
    }
    return visible;
}

proto::CheckReply check_targets(const Policy& policy, const std::vector<proto::EndpointInfo>& online,
                                const crypto::PublicKey& client, const std::vector<std::string>& targets,
                                std::size_t max_payload) {
    const auto visible = visible_endpoints(policy, online, client);
    proto::CheckReply reply;
    for (const auto& target : targets) reply.results.push_back(check_one(policy, online, visible, client, target));
    // The statuses always fit (64 targets, 3 bytes each); the names are a courtesy.
    for (const std::size_t keep : {kNamesWhenCut, std::size_t{0}}) {
        if (proto::encode_control(reply).size() <= max_payload) break;
        for (auto& r : reply.results)
            if (r.names.size() > keep) r.names.resize(keep);
    }
    return reply;
}

proto::DetailsReply endpoint_details(const Policy& policy, const std::vector<OnlineEndpoint>& online,
                                     const WakeBook& book, const crypto::PublicKey& client, std::size_t max_payload) {
    std::vector<proto::EndpointInfo> infos;
    std::vector<std::string> online_names;
    for (const auto& o : online) {
        infos.push_back(o.info);
        online_names.push_back(o.info.name);
    }
    const auto visible = visible_endpoints(policy, infos, client);
    std::vector<std::string> offline = policy.endpoint_names();
    std::erase_if(offline, [&](const std::string& name) {
        return std::find(online_names.begin(), online_names.end(), name) != online_names.end() ||
               !policy.may_open_some(client, name);
    });
    std::sort(offline.begin(), offline.end());
    offline.erase(std::unique(offline.begin(), offline.end()), offline.end());

    proto::DetailsReply reply;
    for (const auto& v : visible) {
        const auto it = std::find_if(online.begin(), online.end(), [&](const auto& o) { return o.info.name == v.name; });
        reply.endpoints.push_back({v.name, true, static_cast<std::uint64_t>(it->since), it->address, v.services,
                                   book.wakers(v.name, online_names), it->candidates});
    }
    for (const auto& name : offline) {
        const auto* facts = book.facts(name);
        reply.endpoints.push_back({name, false, facts ? static_cast<std::uint64_t>(facts->last_seen) : 0,
                                   facts ? facts->public_address : std::string{}, {}, book.wakers(name, online_names),
                                   {}});
    }
    std::sort(reply.endpoints.begin(), reply.endpoints.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    if (reply.endpoints.size() > proto::kMaxListEntries) reply.endpoints.resize(proto::kMaxListEntries);
    while (!reply.endpoints.empty() && proto::encode_control(reply).size() > max_payload) reply.endpoints.pop_back();
    return reply;
}

proto::ControlMessage direct_answer(const Policy& policy, const std::string& endpoint, const OnlineEndpoint* online,
                                    const crypto::PublicKey& client) {
    const auto owner = policy.owner_of(endpoint);
    if (!online || !owner || !policy.may_open_some(client, endpoint))
        return proto::ControlError{proto::Errc::unknown_endpoint, "no endpoint '" + endpoint + "' online that you may open"};
    return proto::DirectReply{endpoint, owner->bytes, online->candidates};
}

}  // namespace burrow::relay
