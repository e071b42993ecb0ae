#include "relay/status_json.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace burrow::relay {

using nlohmann::json;

void to_json(json& j, const Traffic& t) {
    j = json{{"streams_open", t.streams_open},
             {"streams_opened", t.streams_opened},
             {"bytes_to_endpoint", t.bytes_to_endpoint},
             {"bytes_to_client", t.bytes_to_client}};
}

void from_json(const json& j, Traffic& t) {
    j.at("streams_open").get_to(t.streams_open);
    j.at("streams_opened").get_to(t.streams_opened);
    j.at("bytes_to_endpoint").get_to(t.bytes_to_endpoint);
    j.at("bytes_to_client").get_to(t.bytes_to_client);
}

void to_json(json& j, const SessionStatus& s) {
    j = json{{"name", s.name},           {"fingerprint", s.fingerprint}, {"address", s.address},
             {"since", s.since},         {"suspended", s.suspended},     {"traffic", s.traffic}};
    if (!s.services.empty()) j["services"] = s.services;
}

void from_json(const json& j, SessionStatus& s) {
    j.at("name").get_to(s.name);
    j.at("fingerprint").get_to(s.fingerprint);
    j.at("address").get_to(s.address);
    j.at("since").get_to(s.since);
    j.at("suspended").get_to(s.suspended);
    j.at("traffic").get_to(s.traffic);
    if (j.contains("services")) j.at("services").get_to(s.services);
}

std::string status_json(const RelayStatus& status) {
    json refusals = json::object(), failures = json::object();
    for (std::size_t i = 0; i < status.counters.refusals.size(); ++i)
        refusals[std::string(refusal_name(static_cast<Refusal>(i)))] = status.counters.refusals[i];
    for (std::size_t i = 0; i < status.counters.handshake_failures.size(); ++i)
        failures[std::string(handshake_failure_name(static_cast<HandshakeFailure>(i)))] =
            status.counters.handshake_failures[i];
    const json j{{"role", "relay"},
                 {"listen", status.listen},
                 {"started", status.started},
                 {"now", status.now},
                 {"handshakes_pending", status.handshakes_pending},
                 {"streams_waiting", status.streams_waiting},
                 {"sessions_total", status.counters.sessions_total},
                 {"resumes", status.counters.resumes},
                 {"refusals", refusals},
                 {"handshake_failures", failures},
                 {"totals", status.totals},
                 {"endpoints", status.endpoints},
                 {"clients", status.clients}};
    return j.dump();  // one line: the control socket answers with one
}

RelayStatus parse_status_json(const std::string& text) {
    try {
        const json j = json::parse(text);
        if (j.value("role", "") != "relay") throw std::runtime_error("not a relay's status");
        RelayStatus s;
        j.at("listen").get_to(s.listen);
        j.at("started").get_to(s.started);
        j.at("now").get_to(s.now);
        j.at("handshakes_pending").get_to(s.handshakes_pending);
        j.at("streams_waiting").get_to(s.streams_waiting);
        j.at("sessions_total").get_to(s.counters.sessions_total);
        j.at("resumes").get_to(s.counters.resumes);
        for (std::size_t i = 0; i < s.counters.refusals.size(); ++i)
            s.counters.refusals[i] = j.at("refusals").value(std::string(refusal_name(static_cast<Refusal>(i))), 0u);
        for (std::size_t i = 0; i < s.counters.handshake_failures.size(); ++i)
            s.counters.handshake_failures[i] =
                j.at("handshake_failures").value(std::string(handshake_failure_name(static_cast<HandshakeFailure>(i))), 0u);
        j.at("totals").get_to(s.totals);
        j.at("endpoints").get_to(s.endpoints);
        j.at("clients").get_to(s.clients);
        return s;
    } catch (const json::exception& e) {
        throw std::runtime_error(std::string("malformed relay status: ") + e.what());
    }
}

}  // namespace burrow::relay
