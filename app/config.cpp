#include "app/config.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <set>
#include <toml.hpp>

#include "proto/control.hpp"

namespace burrow::app {
namespace {

std::string where(const toml::value& v) {
    const auto loc = v.location();
    return loc.file_name() + ":" + std::to_string(loc.line());
}

// toml11's messages span several lines; burrow reports one: "file:line: what".
// They look like "[error] toml::parse_x: what\n --> file\n   3 | text\n ...".
std::string one_line(const std::string& path, const std::string& message) {
    std::string line = "?";
    for (std::size_t nl = message.find('\n'); nl != std::string::npos; nl = message.find('\n', nl + 1)) {
        std::size_t i = nl + 1;
        while (i < message.size() && message[i] == ' ') ++i;
        const std::size_t digits = i;
        while (i < message.size() && std::isdigit(static_cast<unsigned char>(message[i]))) ++i;
        if (i > digits && message.compare(i, 2, " |") == 0) {
            line = message.substr(digits, i - digits);
            break;
        }
    }
    std::string first = message.substr(0, message.find('\n'));
    if (first.rfind("[error]", 0) == 0) first.erase(0, first.find_first_not_of(' ', 7));
    if (first.rfind("toml::", 0) == 0 && first.find(": ") != std::string::npos) first.erase(0, first.find(": ") + 2);
    return path + ":" + line + ": " + first;
}

// TOML files are UTF-8 without control characters other than tab, LF and CR.
// Checked before toml11 sees the text: its parser reads past the end of the
// buffer on some invalid bytes (found by tests/fuzz/config_fuzz.cpp).
void check_text(const std::string& path, const std::string& text) {
    std::size_t line = 1;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n') ++line;
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        bool ok = len != 0 && i + len <= text.size() && !(c < 0x20 && c != '\t' && c != '\n' && c != '\r') &&
                  c != 0x7f && c != 0xc0 && c != 0xc1 && c < 0xf5;
        for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
        if (!ok) throw ConfigError(path + ":" + std::to_string(line) + ": not valid UTF-8 text");
        i += len;
    }
}

toml::value parse_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(path + ": cannot open: " + std::strerror(errno));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    check_text(path, text);
    std::istringstream stream(text);
    try {
        return toml::parse(stream, path);
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

const toml::value* get(const toml::value& table, const std::string& key) {
    return table.contains(key) ? &table.at(key) : nullptr;
}

std::optional<std::string> get_string(const toml::value& table, const std::string& key) {
    const auto* v = get(table, key);
    if (!v) return std::nullopt;
    if (!v->is_string()) throw ConfigError(where(*v) + ": '" + key + "' must be a string");
    return v->as_string().str;
}

std::string need_string(const toml::value& table, const std::string& key, const std::string& what) {
    auto s = get_string(table, key);
    if (!s) throw ConfigError(where(table) + ": " + what + " needs '" + key + "'");
    return *s;
}

const toml::value& need_table(const toml::value& v, const std::string& what) {
    if (!v.is_table()) throw ConfigError(where(v) + ": " + what + " must be a table");
    return v;
}

const toml::array& get_array(const toml::value& v, const std::string& what) {
    if (!v.is_array()) throw ConfigError(where(v) + ": " + what + " must be an array");
    return v.as_array();
}

std::vector<std::string> string_list(const toml::value& v, const std::string& what) {
    std::vector<std::string> out;
    for (const auto& item : get_array(v, what)) {
        if (!item.is_string()) throw ConfigError(where(item) + ": " + what + " must hold strings");
        out.push_back(item.as_string().str);
    }
    return out;
}

// A file a config names (`key`, `control_socket`) is relative to that config's folder.
// `tcp_congestion`: a name as the kernel knows them ("bbr", "cubic"), not checked against this kernel's list.
std::optional<std::string> congestion_control(const toml::value& doc) {
    const auto* value = get(doc, "tcp_congestion");
    if (!value) return std::nullopt;
    const bool name = value->is_string() && !value->as_string().str.empty() && value->as_string().str.size() <= 15 &&
                      std::all_of(value->as_string().str.begin(), value->as_string().str.end(), [](char c) {
                          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                      });
    if (!name)
        throw ConfigError(where(*value) +
                          ": 'tcp_congestion' must name a TCP congestion control, such as \"bbr\" or \"cubic\"");
    return value->as_string().str;
}

std::optional<std::string> file_path(const toml::value& doc, const std::string& key, const std::string& path) {
    auto file = get_string(doc, key);
    if (!file || file->empty() || (*file)[0] == '/') return file;
    return (std::filesystem::path(path).parent_path() / *file).string();
}

}  // namespace

const std::map<std::string, std::string>& relay_limit_keys() {
    static const std::map<std::string, std::string> keys = {
        {"handshake_timeout_ms", "time a new connection has to authenticate"},
        {"first_bytes_timeout_ms", "time a new connection has to send its first byte"},
        {"max_unauthenticated", "connections still authenticating, in all (when full, the oldest is ended)"},
        {"max_unauthenticated_per_source", "connections still authenticating, per IPv4 address or IPv6 /64"},
        {"reserved_for_known_sources", "of max_unauthenticated, slots strangers cannot take (for addresses that authenticated in the last 24 h)"},
        {"max_sessions_per_key", "live and suspended sessions one key may hold (a suspended one gives way)"},
        {"max_streams_per_session", "concurrent streams one peer may open"},
        {"max_frame", "largest frame payload accepted (1024..65536)"},
        {"stream_window", "bytes in flight per stream"},
        {"shared_stream_window", "bytes in flight per stream at least, while other streams share its session"},
        {"max_stream_window", "bytes in flight per stream at most, on a long path"},
        {"session_window", "bytes in flight per session: what the relay may hold for one peer"},
        {"stream_opens_per_second", "new streams per second per session"},
    };
    return keys;
}

RelayFile load_relay_file(const std::string& path) {
    const auto doc = parse_file(path);
    reject_unknown(doc,
                   {"listen", "key", "control_socket", "state_file", "endpoints", "clients", "expose", "limits", "admin",
                    "tcp_congestion"},
                   "a relay config");
    RelayFile out;
    out.listen = get_string(doc, "listen");
    out.key_file = file_path(doc, "key", path);
    out.control_socket = file_path(doc, "control_socket", path);
    out.state_file = file_path(doc, "state_file", path);
    out.tcp_congestion = congestion_control(doc);
    if (const auto* list = get(doc, "endpoints")) {
        for (const auto& e : get_array(*list, "[[endpoints]]")) {
            need_table(e, "each [[endpoints]] entry");
            reject_unknown(e, {"name", "key", "wake"}, "an [[endpoints]] entry");
            EndpointEntry entry{need_string(e, "name", "[[endpoints]]"), need_string(e, "key", "[[endpoints]]"),
                                where(e.at("key")), std::nullopt, {}};
            if (const auto* wake = get(e, "wake")) {
                need_table(*wake, "'wake'");
                reject_unknown(*wake, {"mac", "via"}, "a 'wake' table");
                entry.wake_mac = get_string(*wake, "mac");
                if (const auto* via = get(*wake, "via")) entry.wake_via = string_list(*via, "'via'");
                entry.where = where(*wake);
            }
            out.endpoints.push_back(std::move(entry));
        }
    }
    if (const auto* list = get(doc, "clients")) {
        for (const auto& c : get_array(*list, "[[clients]]")) {
            need_table(c, "each [[clients]] entry");
            reject_unknown(c, {"name", "key", "allow", "wake"}, "a [[clients]] entry");
            ClientEntry entry{get_string(c, "name").value_or(""), need_string(c, "key", "[[clients]]"), {},
                              where(c.at("key")), {}};
            if (const auto* allow = get(c, "allow")) entry.allow = string_list(*allow, "'allow'");
            if (const auto* wake = get(c, "wake")) entry.wake = string_list(*wake, "'wake'");
            out.clients.push_back(std::move(entry));
        }
    }
    if (const auto* list = get(doc, "expose")) {
        for (const auto& x : get_array(*list, "[[expose]]")) {
            need_table(x, "each [[expose]] entry");
            reject_unknown(x, {"port", "target", "from", "bind"}, "an [[expose]] entry");
            ExposeEntry entry;
            const auto* port = get(x, "port");
            if (!port || !port->is_integer() || port->as_integer() < 1 || port->as_integer() > 65535)
                throw ConfigError(where(x) + ": an [[expose]] entry needs port = 1..65535");
            entry.port = port->as_integer();
            entry.target = need_string(x, "target", "[[expose]]");
            if (const auto* from = get(x, "from")) entry.from = string_list(*from, "'from'");
            entry.bind = get_string(x, "bind");
            entry.where = where(x);
            out.expose.push_back(std::move(entry));
        }
    }
    if (const auto* admin = get(doc, "admin")) {
        need_table(*admin, "[admin]");
        reject_unknown(*admin, {"listen", "token", "token_file", "allow_remote"}, "[admin]");
        AdminEntry entry;
        entry.listen = need_string(*admin, "listen", "[admin]");
        entry.token = get_string(*admin, "token");
        entry.token_file = file_path(*admin, "token_file", path);
        if (const auto* remote = get(*admin, "allow_remote")) {
            if (!remote->is_boolean()) throw ConfigError(where(*remote) + ": 'allow_remote' must be true or false");
            entry.allow_remote = remote->as_boolean();
        }
        entry.where = where(*admin);
        out.admin = std::move(entry);
    }
    if (const auto* limits = get(doc, "limits")) {
        need_table(*limits, "[limits]");
        for (const auto& [key, value] : limits->as_table()) {
            if (!relay_limit_keys().count(key)) throw ConfigError(where(value) + ": unknown key '" + key + "' in [limits]");
            if (!value.is_integer() || value.as_integer() <= 0)
                throw ConfigError(where(value) + ": '" + key + "' must be a positive integer");
            out.limits[key] = value.as_integer();
        }
    }
    return out;
}

EndpointFile load_endpoint_file(const std::string& path) {
    const auto doc = parse_file(path);
    reject_unknown(doc, {"name", "relay", "relay_key", "key", "control_socket", "allowed_clients", "services", "clients",
                         "upnp", "direct_listen", "direct_advertise", "max_streams_per_client", "tcp_congestion"},
                   "an endpoint config");
    EndpointFile out;
    out.name = get_string(doc, "name");
    out.relay = get_string(doc, "relay");
    out.relay_key = get_string(doc, "relay_key");
    out.key_file = file_path(doc, "key", path);
    out.control_socket = file_path(doc, "control_socket", path);
    out.allowed_clients = file_path(doc, "allowed_clients", path);
    out.tcp_congestion = congestion_control(doc);
    if (const auto* upnp = get(doc, "upnp")) {
        if (!upnp->is_boolean()) throw ConfigError(where(*upnp) + ": 'upnp' must be true or false");
        out.upnp = upnp->as_boolean();
    }
    out.direct_listen = get_string(doc, "direct_listen");
    if (const auto* cap = get(doc, "max_streams_per_client")) {
        if (!cap->is_integer() || cap->as_integer() < 1 || cap->as_integer() > 1'000'000)
            throw ConfigError(where(*cap) + ": 'max_streams_per_client' must be a whole number from 1 to 1000000");
        out.max_streams_per_client = cap->as_integer();
    }
    if (const auto* advertise = get(doc, "direct_advertise")) {
        out.direct_advertise = string_list(*advertise, "'direct_advertise'");
        for (const auto& a : out.direct_advertise)
            if (!proto::is_valid_candidate(a))
                throw ConfigError(where(*advertise) + ": '" + a + "' in 'direct_advertise' is not HOST:PORT");
    }
    if (const auto* list = get(doc, "clients")) {
        for (const auto& c : get_array(*list, "[[clients]]")) {
            need_table(c, "each [[clients]] entry");
            reject_unknown(c, {"name", "key", "services"}, "a [[clients]] entry");
            AllowedClientEntry entry{need_string(c, "key", "[[clients]]"), get_string(c, "name").value_or(""), {},
                                     where(c.at("key"))};
            if (const auto* services = get(c, "services")) entry.services = string_list(*services, "'services'");
            out.clients.push_back(std::move(entry));
        }
    }
    if (const auto* services = get(doc, "services")) {
        for (const auto& [name, value] : need_table(*services, "'services'").as_table()) {
            if (value.is_string()) {
                out.services[name] = ServiceEntry{value.as_string().str, true};
                continue;
            }
            if (!value.is_table())
                throw ConfigError(where(value) + ": service '" + name +
                                  "' must be \"host:port\" or { address = \"host:port\", e2e = false }");
            reject_unknown(value, {"address", "e2e"}, "service '" + name + "'");
            ServiceEntry entry{need_string(value, "address", "service '" + name + "'"), true};
            if (const auto* e2e = get(value, "e2e")) {
                if (!e2e->is_boolean()) throw ConfigError(where(*e2e) + ": 'e2e' must be true or false");
                entry.e2e = e2e->as_boolean();
            }
            out.services[name] = entry;
        }
    }
    return out;
}

ClientFile load_client_file(const std::string& path) {
    const auto doc = parse_file(path);
    reject_unknown(doc, {"relay", "relay_key", "key", "endpoints", "forward", "strict_endpoint_keys", "tcp_congestion"},
                   "a client config");
    ClientFile out{get_string(doc, "relay"), get_string(doc, "relay_key"), file_path(doc, "key", path), {}, {},
                   false,      congestion_control(doc)};
    if (const auto* strict = get(doc, "strict_endpoint_keys")) {
        if (!strict->is_boolean()) throw ConfigError(where(*strict) + ": 'strict_endpoint_keys' must be true or false");
        out.strict_endpoint_keys = strict->as_boolean();
    }
    if (const auto* pins = get(doc, "endpoints")) {
        for (const auto& [name, value] : need_table(*pins, "[endpoints]").as_table()) {
            if (!value.is_string()) throw ConfigError(where(value) + ": endpoint key '" + name + "' must be a string");
            out.endpoint_keys[name] = value.as_string().str;
        }
    }
    if (const auto* list = get(doc, "forward")) out.forward = string_list(*list, "'forward'");
    return out;
}

}  // namespace burrow::app
