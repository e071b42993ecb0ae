#include "app/config.hpp"

#include <regex>
#include <set>
#include <toml.hpp>

namespace burrow::app {
namespace {

std::string where(const toml::value& v) {
    const auto loc = v.location();
    return loc.file_name() + ":" + std::to_string(loc.line());
}

// toml11's messages span several lines; burrow reports one: "file:line: what".
std::string one_line(const std::string& path, const std::string& message) {
    std::smatch m;
    std::string line = "?";
    static const std::regex line_re(R"(\n\s*(\d+) \|)");
    if (std::regex_search(message, m, line_re)) line = m[1];
    std::string first = message.substr(0, message.find('\n'));
    static const std::regex tag_re(R"(^\[error\]\s*(toml::[a-z_:]+:\s*)?)");
    first = std::regex_replace(first, tag_re, "");
    return path + ":" + line + ": " + first;
}

toml::value parse_file(const std::string& path) {
    try {
        return toml::parse(path);
    } catch (const toml::syntax_error& e) {
        throw ConfigError(one_line(path, e.what()));
    } catch (const std::runtime_error& e) {
        throw ConfigError(path + ": " + e.what());
    }
}

void reject_unknown(const toml::value& table, const std::set<std::string>& known, const std::string& what) {
    for (const auto& [key, value] : table.as_table())
        if (!known.count(key)) throw ConfigError(where(value) + ": unknown key '" + key + "' in " + what);
}

std::optional<std::string> get_string(const toml::value& table, const std::string& key) {
    if (!table.contains(key)) return std::nullopt;
    const auto& v = table.at(key);
    if (!v.is_string()) throw ConfigError(where(v) + ": '" + key + "' must be a string");
    return v.as_string().str;
}

}  // namespace

RelayFile load_relay_file(const std::string& path) {
    const auto doc = parse_file(path);
    reject_unknown(doc, {"listen"}, "a relay config");
    return RelayFile{get_string(doc, "listen")};
}

EndpointFile load_endpoint_file(const std::string& path) {
    const auto doc = parse_file(path);
    reject_unknown(doc, {"name", "relay", "services"}, "an endpoint config");
    EndpointFile out{get_string(doc, "name"), get_string(doc, "relay"), {}};
    if (doc.contains("services")) {
        const auto& services = doc.at("services");
        if (!services.is_table()) throw ConfigError(where(services) + ": 'services' must be a table");
        for (const auto& [name, value] : services.as_table()) {
            if (!value.is_string())
                throw ConfigError(where(value) + ": service '" + name + "' must be a \"host:port\" string");
            out.services[name] = value.as_string().str;
        }
    }
    return out;
}

ClientFile load_client_file(const std::string& path) {
    const auto doc = parse_file(path);
    reject_unknown(doc, {"relay", "forward"}, "a client config");
    ClientFile out{get_string(doc, "relay"), {}};
    if (doc.contains("forward")) {
        const auto& list = doc.at("forward");
        if (!list.is_array()) throw ConfigError(where(list) + ": 'forward' must be an array of strings");
        for (const auto& v : list.as_array()) {
            if (!v.is_string()) throw ConfigError(where(v) + ": 'forward' entries must be strings");
            out.forward.push_back(v.as_string().str);
        }
    }
    return out;
}

}  // namespace burrow::app
