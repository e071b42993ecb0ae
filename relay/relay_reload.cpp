// Relay::reload(): a new policy, limits and public ports while sessions go on.
#include <set>

#include <spdlog/spdlog.h>

#include "io/session.hpp"
#include "io/tls_stream.hpp"
#include "relay/relay.hpp"
#include "relay/splice.hpp"

namespace burrow::relay {

using proto::Errc;

std::size_t Relay::reload(RelayOptions options, std::string* expose_failure) {
    const auto failure = exposed_.apply(options.expose);
    if (!failure.empty()) spdlog::error("relay: {}", failure);
    if (expose_failure) *expose_failure = failure;
    options_.expose = std::move(options.expose);
    options_.policy = std::move(options.policy);
    options_.wake = std::move(options.wake);
    wake_book_.configure(options_.wake);
    options_.limits = options.limits;
    admission_.set_limits(options_.limits.admission());
    options_.mux = options.mux;
    if (options.tcp_congestion != options_.tcp_congestion) {
        options_.tcp_congestion = std::move(options.tcp_congestion);
        tls_->set_tcp_congestion(options_.tcp_congestion);
        spdlog::info("reload: new connections use {}; open ones keep theirs",
                     options_.tcp_congestion.empty() ? "the system's congestion control"
                                                     : "tcp_congestion = \"" + options_.tcp_congestion + "\"");
    }
    std::set<SessionId> revoked;
    for (const auto& [id, record] : sessions_.records())
        if (!options_.policy.knows(record.key)) revoked.insert(id);
    // Suspended sessions too: what they may no longer do is refused before they resume.
    for (const auto& [name, entry] : registry_.entries())
        if (const auto* record = sessions_.find(entry.session); record && !options_.policy.may_register(record->key, name))
            revoked.insert(entry.session);
    std::vector<std::shared_ptr<io::Session>> closing;
    for (const auto id : revoked)
        if (auto s = sessions_.session(id); s && !s->closed()) closing.push_back(std::move(s));
    for (auto& s : closing) {
        spdlog::warn("reload: closing session {}: its key is no longer allowed", s->peer());
        s->goaway(Errc::not_authorized, "your key was revoked on this relay");
        s->close("key revoked");
    }
    const std::size_t streams = revoke_streams();
    spdlog::info("relay: configuration reloaded ({} session(s) and {} stream(s) closed)", closing.size(), streams);
    return closing.size();
}

std::size_t Relay::revoke_streams() {
    std::vector<std::pair<std::shared_ptr<Splice>, std::string>> cut;
    std::erase_if(spliced_, [&](const Spliced& s) {
        auto splice = s.splice.lock();
        if (!splice) return true;
        if (options_.policy.may_open(s.client, s.target)) return false;
        cut.emplace_back(std::move(splice), "key " + s.client.fingerprint() + " may no longer open '" + s.target +
                                                 "' on this relay (configuration reloaded)");
        return true;
    });
    spliced_capacity_ = spliced_.size();
    for (auto& [splice, why] : cut) {
        spdlog::warn("reload: closing a stream: {}", why);
        splice->revoke(Errc::not_authorized, why);
    }
    return cut.size();
}

}  // namespace burrow::relay
