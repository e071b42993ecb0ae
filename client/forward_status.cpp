#include "client/forward_status.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace burrow::client {

using nlohmann::json;

std::string forward_status_json(const ForwardStatus& s) {
    json forwards = json::array();
    for (const auto& f : s.forwards)
        forwards.push_back({{"listen", f.listen},
                            {"target", f.target},
                            {"state", f.state},
                            {"connections_open", f.connections_open},
                            {"connections", f.connections},
                            {"bytes_sent", f.bytes_sent},
                            {"bytes_received", f.bytes_received},
                            {"path", f.path}});
    return json{{"role", "forward"}, {"pid", s.pid},     {"relay", s.relay}, {"session", s.session},
                {"detail", s.detail}, {"since", s.since}, {"now", s.now},     {"forwards", forwards}}
        .dump();
}

ForwardStatus parse_forward_status_json(const std::string& text) {
    try {
        const json j = json::parse(text);
        if (j.value("role", "") != "forward") throw std::runtime_error("not a forward's status");
        ForwardStatus s;
        j.at("pid").get_to(s.pid);
        j.at("relay").get_to(s.relay);
        j.at("session").get_to(s.session);
        j.at("detail").get_to(s.detail);
        j.at("since").get_to(s.since);
        j.at("now").get_to(s.now);
        for (const auto& f : j.at("forwards"))
            s.forwards.push_back({f.at("listen").get<std::string>(), f.at("target").get<std::string>(),
                                  f.at("state").get<std::string>(), f.at("connections_open").get<std::uint64_t>(),
                                  f.at("connections").get<std::uint64_t>(), f.at("bytes_sent").get<std::uint64_t>(),
                                  f.at("bytes_received").get<std::uint64_t>(), f.value("path", "")});
        return s;
    } catch (const json::exception& e) {
        throw std::runtime_error(std::string("malformed forward status: ") + e.what());
    }
}

}  // namespace burrow::client
