#include "client/client.hpp"
#include "proto/control.hpp"

namespace burrow::client {

std::optional<ForwardSpec> parse_forward_spec(std::string_view text) {
    // "[bind:]port:endpoint/service", the way connect and ls name targets, is the same spec.
    if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
        const auto slash = text.find('/', colon);
        if (slash != std::string_view::npos && text.find('/', slash + 1) == std::string_view::npos) {
            std::string colons(text);
            colons[slash] = ':';
            return parse_forward_spec(colons);
        }
    }
    // Split from the right: service, endpoint, port, and whatever is left is the bind address.
    std::vector<std::string_view> parts;
    std::string_view rest = text;
    for (int i = 0; i < 3; ++i) {
        const auto colon = rest.rfind(':');
        if (colon == std::string_view::npos) break;
        parts.push_back(rest.substr(colon + 1));
        rest = rest.substr(0, colon);
    }
    if (parts.size() < 2) return std::nullopt;
    ForwardSpec spec;
    std::string_view port_text;
    if (parts.size() == 2) {  // port:endpoint:service
        port_text = rest;
        spec.endpoint = std::string(parts[1]);
        spec.service = std::string(parts[0]);
        rest = "127.0.0.1";
    } else {
        port_text = parts[2];
        spec.endpoint = std::string(parts[1]);
        spec.service = std::string(parts[0]);
        if (rest.size() >= 2 && rest.front() == '[' && rest.back() == ']') rest = rest.substr(1, rest.size() - 2);
        if (rest.empty() || rest == "*") rest = "0.0.0.0";
    }
    if (!proto::is_valid_name(spec.endpoint) || !proto::is_valid_name(spec.service)) return std::nullopt;
    const std::string bind = std::string(rest).find(':') != std::string::npos ? "[" + std::string(rest) + "]"
                                                                               : std::string(rest);
    auto hp = io::parse_host_port(bind + ":" + std::string(port_text), true);
    if (!hp) return std::nullopt;
    spec.bind = *hp;
    return spec;
}

}  // namespace burrow::client
