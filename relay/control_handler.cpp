#include "relay/control_handler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "proto/wake.hpp"

namespace burrow::relay {

using proto::Errc;

ControlOutcome ControlHandler::handle(const ControlSender& from, proto::ControlMessage&& message, std::int64_t now) {
    ControlOutcome out;
    if (auto* reg = std::get_if<proto::Register>(&message)) {
        out = on_register(from, std::move(*reg), now);
    } else if (std::holds_alternative<proto::ListRequest>(message)) {
        auto visible = visible_endpoints(policy_, registry_.list(), from.key);
        if (visible.size() > proto::kMaxListEntries) visible.resize(proto::kMaxListEntries);
        proto::ListReply reply{std::move(visible)};
        // One CONTROL frame must hold it.
        while (!reply.endpoints.empty() && proto::encode_control(reply).size() > from.room) reply.endpoints.pop_back();
        out.reply = std::move(reply);
    } else if (const auto* check = std::get_if<proto::CheckRequest>(&message)) {
        out.reply = check_targets(policy_, registry_.list(), from.key, check->targets, from.room);
    } else if (const auto* info = std::get_if<proto::LanInfo>(&message)) {
        for (const auto& name : registry_.names_of(from.session))
            if (const auto error = wake_book_.report(name, info->interfaces, from.address, now); !error.empty())
                spdlog::warn("relay: wake state {}: {}", wake_book_.state_file(), error);
    } else if (const auto* request = std::get_if<proto::WakeRequest>(&message)) {
        out = on_wake(from, request->endpoint);
    } else if (std::holds_alternative<proto::DetailsRequest>(message)) {
        out.reply = endpoint_details(policy_, online(), wake_book_, from.key, from.room);
    } else if (const auto* direct = std::get_if<proto::DirectInfo>(&message)) {
        registry_.set_candidates(from.session, direct->candidates);
        for (const auto& name : registry_.names_of(from.session))
            spdlog::info("endpoint '{}': direct candidates {}", name,
                         direct->candidates.empty() ? std::string("withdrawn") : joined(direct->candidates, ", "));
    } else if (const auto* ask = std::get_if<proto::DirectRequest>(&message)) {
        const auto endpoints = online();
        const auto it = std::find_if(endpoints.begin(), endpoints.end(),
                                     [&](const auto& o) { return o.info.name == ask->endpoint; });
        out.reply = direct_answer(policy_, ask->endpoint, it == endpoints.end() ? nullptr : &*it, from.key);
    } else {
        out.reply = proto::ControlError{Errc::protocol_error, "unexpected control message"};
    }
    return out;
}

ControlOutcome ControlHandler::on_register(const ControlSender& from, proto::Register&& reg, std::int64_t now) {
    ControlOutcome out;
    if (!policy_.may_register(from.key, reg.name)) {
        counters_.refused(Refusal::register_denied);
        spdlog::warn("endpoint {} ({}) may not register as '{}'", from.address, from.key.fingerprint(), reg.name);
        out.reply = proto::ControlError{Errc::not_authorized, "key " + from.key.fingerprint() +
                                                                  " may not register as '" + reg.name +
                                                                  "' on this relay"};
        return out;
    }
    // The policy binds a name to one key, so an older holder is this endpoint's stale session.
    out.replaced = registry_.add(reg.name, std::move(reg.services), from.session, from.address, now);
    out.reply = proto::Registered{reg.name};
    out.online = reg.name;
    return out;
}

// Asks an online endpoint on `name`'s LAN to send its magic packet.
ControlOutcome ControlHandler::on_wake(const ControlSender& from, const std::string& name) {
    ControlOutcome out;
    if (!policy_.may_wake(from.key, name)) {
        counters_.refused(Refusal::wake_denied);
        spdlog::warn("wake '{}' from {}: refused: {} may not wake it", name, from.address, policy_.describe(from.key));
        out.reply = proto::ControlError{Errc::not_authorized, "key " + from.key.fingerprint() + " may not wake '" + name +
                                                                  "' on this relay (it needs '" + name +
                                                                  "/*' in its allow list, or wake = [\"" + name +
                                                                  "\"])"};
        return out;
    }
    std::vector<std::string> names;
    for (const auto& e : registry_.list()) names.push_back(e.name);
    const auto plan = wake_book_.plan(name, names);
    if (const auto* why = std::get_if<std::string>(&plan)) {
        spdlog::info("wake '{}' from {}: {}", name, from.address, *why);
        out.reply = proto::ControlError{Errc::unknown_endpoint, *why};
        return out;
    }
    const auto& chosen = std::get<WakeBook::Plan>(plan);
    const auto* via = registry_.find(chosen.via);
    if (!via) {
        out.reply = proto::ControlError{Errc::unknown_endpoint, "endpoint '" + chosen.via + "' went offline"};
        return out;
    }
    spdlog::info("wake '{}' for {}: endpoint '{}' sends the packet for {}", name, policy_.describe(from.key),
                 chosen.via, proto::format_mac(chosen.order.mac));
    out.wake_via = via->session;
    out.wake_order = chosen.order;
    out.reply = proto::WakeSent{chosen.via, chosen.order.mac};
    return out;
}

std::vector<OnlineEndpoint> ControlHandler::online() const {
    std::vector<OnlineEndpoint> endpoints;
    for (auto& info : registry_.list()) {
        const auto* entry = registry_.find(info.name);
        endpoints.push_back({std::move(info), entry->since, entry->address, entry->candidates});
    }
    return endpoints;
}

}  // namespace burrow::relay
