#include "endpoint/client_list.hpp"

#include <algorithm>
#include <stdexcept>

#include "proto/control.hpp"

namespace burrow::endpoint {

bool ClientList::admits(const crypto::PublicKey& key, std::string_view service) const {
    return std::any_of(clients_.begin(), clients_.end(), [&](const AllowedClient& c) {
        return c.key == key && (c.services.empty() || std::find(c.services.begin(), c.services.end(), service) !=
                                                          c.services.end());
    });
}

bool ClientList::admits_some(const crypto::PublicKey& key) const {
    return std::any_of(clients_.begin(), clients_.end(), [&](const AllowedClient& c) { return c.key == key; });
}

std::string ClientList::describe(const crypto::PublicKey& key) const {
    for (const auto& c : clients_)
        if (c.key == key && !c.label.empty()) return c.label + " (" + key.fingerprint() + ")";
    return key.fingerprint();
}

namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::vector<std::string> service_list(std::string_view text, const std::string& where) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string name(text.substr(0, comma));
        if (name == "*") return {};
        if (!proto::is_valid_name(name)) throw std::runtime_error(where + ": '" + name + "' is not a service name");
        out.push_back(name);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    if (out.empty()) throw std::runtime_error(where + ": services= names no service");
    return out;
}

}  // namespace

std::vector<AllowedClient> parse_allowed_clients(std::string_view text, const std::string& path) {
    std::vector<AllowedClient> out;
    std::size_t number = 0;
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string_view line = trimmed(text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        ++number;
        if (line.empty() || line.front() == '#') continue;
        const std::string where = path + ":" + std::to_string(number);
        AllowedClient client;
        client.origin = where;
        if (line.starts_with("services=")) {
            const auto space = line.find_first_of(" \t");
            if (space == std::string_view::npos) throw std::runtime_error(where + ": a key must follow services=");
            client.services = service_list(line.substr(9, space - 9), where);
            line = trimmed(line.substr(space));
        }
        const auto key_end = line.find_first_of(" \t", line.find_first_of(" \t") + 1);
        const auto key = crypto::PublicKey::parse(line.substr(0, key_end));
        if (!key)
            throw std::runtime_error(where + ": expected [services=a,b ]burrow-ed25519 KEY [comment], as `burrow id` "
                                             "prints the key");
        client.key = *key;
        if (key_end != std::string_view::npos) client.label = std::string(trimmed(line.substr(key_end)));
        out.push_back(std::move(client));
    }
    return out;
}

std::string allowed_client_line(const crypto::PublicKey& key, const std::vector<std::string>& services,
                                const std::string& comment) {
    std::string line;
    if (!services.empty()) {
        line = "services=";
        for (std::size_t i = 0; i < services.size(); ++i) line += (i ? "," : "") + services[i];
        line += " ";
    }
    line += key.to_text();
    if (!comment.empty()) line += " " + comment;
    return line;
}

}  // namespace burrow::endpoint
