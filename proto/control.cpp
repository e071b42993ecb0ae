#include "proto/control.hpp"

#include <algorithm>

#include "proto/wire.hpp"

namespace burrow::proto {
namespace {

enum class Kind : std::uint8_t {
    register_ = 1,
    registered = 2,
    list_request = 3,
    list_reply = 4,
    error = 5,
    resume_ticket = 6,
    check_request = 7,
    check_reply = 8,
    lan_info = 9,
    wake_request = 10,
    wake_sent = 11,
    wake_order = 12,
    details_request = 13,
    details_reply = 14,
    direct_info = 15,
    direct_request = 16,
    direct_reply = 17,
};

constexpr std::size_t kMaxTargetLen = 2 * kMaxNameLen + 1;

void put_names(ByteWriter& w, const std::vector<std::string>& names) {
    w.u16(static_cast<std::uint16_t>(names.size()));
    for (const auto& n : names) w.str16(n);
}

bool get_name(ByteReader& r, std::string& out) {
    return r.str16(out, kMaxNameLen) && is_valid_name(out);
}

bool get_names(ByteReader& r, std::vector<std::string>& out) {
    std::uint16_t count = 0;
    if (!r.u16(count) || count > kMaxServices) return false;
    out.resize(count);
    for (auto& n : out)
        if (!get_name(r, n)) return false;
    return true;
}

// An IP address as text (or nothing): no byte a terminal could take for a command.
bool is_address_text(std::string_view text) {
    for (char c : text) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':';
        if (!ok) return false;
    }
    return true;
}

bool get_candidates(ByteReader& r, std::vector<std::string>& out) {
    std::uint16_t count = 0;
    if (!r.u16(count) || count > kMaxCandidates) return false;
    out.resize(count);
    for (auto& c : out)
        if (!r.str16(c, kMaxCandidateLen) || !is_valid_candidate(c)) return false;
    return true;
}

void put_candidates(ByteWriter& w, const std::vector<std::string>& candidates) {
    const auto n = std::min(candidates.size(), kMaxCandidates);
    w.u16(static_cast<std::uint16_t>(n));
    for (std::size_t i = 0; i < n; ++i) w.str16(candidates[i]);
}

struct Encoder {
    ByteWriter& w;
    void operator()(const Register& m) {
        w.u8(static_cast<std::uint8_t>(Kind::register_));
        w.str16(m.name);
        put_names(w, m.services);
    }
    void operator()(const Registered& m) {
        w.u8(static_cast<std::uint8_t>(Kind::registered));
        w.str16(m.name);
    }
    void operator()(const ListRequest&) { w.u8(static_cast<std::uint8_t>(Kind::list_request)); }
    void operator()(const ListReply& m) {
        w.u8(static_cast<std::uint8_t>(Kind::list_reply));
        w.u16(static_cast<std::uint16_t>(m.endpoints.size()));
        for (const auto& e : m.endpoints) {
            w.str16(e.name);
            put_names(w, e.services);
        }
    }
    void operator()(const ResumeTicket& m) {
        w.u8(static_cast<std::uint8_t>(Kind::resume_ticket));
        w.bytes(std::span<const std::uint8_t>(m.id));
        w.bytes(std::span<const std::uint8_t>(m.secret));
    }
    void operator()(const CheckRequest& m) {
        w.u8(static_cast<std::uint8_t>(Kind::check_request));
        w.u16(static_cast<std::uint16_t>(m.targets.size()));
        for (const auto& t : m.targets) w.str16(t);
    }
    void operator()(const CheckReply& m) {
        w.u8(static_cast<std::uint8_t>(Kind::check_reply));
        w.u16(static_cast<std::uint16_t>(m.results.size()));
        for (const auto& r : m.results) {
            w.u8(static_cast<std::uint8_t>(r.status));
            put_names(w, r.names);
        }
    }
    void operator()(const LanInfo& m) {
        w.u8(static_cast<std::uint8_t>(Kind::lan_info));
        w.u16(static_cast<std::uint16_t>(m.interfaces.size()));
        for (const auto& i : m.interfaces) {
            w.bytes(std::span<const std::uint8_t>(i.mac));
            w.bytes(std::span<const std::uint8_t>(i.address));
            w.u8(i.prefix);
        }
    }
    void operator()(const WakeRequest& m) {
        w.u8(static_cast<std::uint8_t>(Kind::wake_request));
        w.str16(m.endpoint);
    }
    void operator()(const WakeSent& m) {
        w.u8(static_cast<std::uint8_t>(Kind::wake_sent));
        w.str16(m.via);
        w.bytes(std::span<const std::uint8_t>(m.mac));
    }
    void operator()(const WakeOrder& m) {
        w.u8(static_cast<std::uint8_t>(Kind::wake_order));
        w.bytes(std::span<const std::uint8_t>(m.mac));
        w.bytes(std::span<const std::uint8_t>(m.broadcast));
        w.u16(m.port);
    }
    void operator()(const DetailsRequest&) { w.u8(static_cast<std::uint8_t>(Kind::details_request)); }
    void operator()(const DetailsReply& m) {
        w.u8(static_cast<std::uint8_t>(Kind::details_reply));
        w.u16(static_cast<std::uint16_t>(m.endpoints.size()));
        for (const auto& e : m.endpoints) {
            w.str16(e.name);
            w.u8(e.online ? 1 : 0);
            w.u64(e.since);
            w.str16(e.address.substr(0, kMaxAddressLen));
            put_names(w, e.services);
            put_names(w, e.wakers);
            put_candidates(w, e.candidates);
        }
    }
    void operator()(const DirectInfo& m) {
        w.u8(static_cast<std::uint8_t>(Kind::direct_info));
        put_candidates(w, m.candidates);
    }
    void operator()(const DirectRequest& m) {
        w.u8(static_cast<std::uint8_t>(Kind::direct_request));
        w.str16(m.endpoint);
    }
    void operator()(const DirectReply& m) {
        w.u8(static_cast<std::uint8_t>(Kind::direct_reply));
        w.str16(m.endpoint);
        w.bytes(std::span<const std::uint8_t>(m.key));
        put_candidates(w, m.candidates);
    }
    void operator()(const ControlError& m) {
        w.u8(static_cast<std::uint8_t>(Kind::error));
        w.u16(static_cast<std::uint16_t>(m.code));
        w.str16(m.reason.substr(0, kMaxReasonLen));
    }
};

}  // namespace

bool is_valid_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > kMaxNameLen || name[0] == '.' || name[0] == '-') return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool is_valid_candidate(std::string_view text) noexcept {
    if (text.empty() || text.size() > kMaxCandidateLen) return false;
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    const auto host = text.substr(0, colon);
    const auto port = text.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port[0] == '0') return false;
    unsigned value = 0;
    for (char c : port) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 65535) return false;
    if (host.front() == '[') {  // [IPv6]
        if (host.size() < 3 || host.back() != ']') return false;
        return is_address_text(host.substr(1, host.size() - 2));
    }
    if (host.front() == '-' || host.front() == '.') return false;
    for (char c : host) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool parse_target(std::string_view target, std::string& endpoint, std::string& service) {
    const auto slash = target.find('/');
    if (slash == std::string_view::npos) return false;
    const auto e = target.substr(0, slash);
    const auto s = target.substr(slash + 1);
    if (!is_valid_name(e) || !is_valid_name(s)) return false;
    endpoint.assign(e);
    service.assign(s);
    return true;
}

std::vector<std::uint8_t> encode_control(const ControlMessage& msg) {
    std::vector<std::uint8_t> out;
    ByteWriter w(out);
    std::visit(Encoder{w}, msg);
    return out;
}

std::error_code decode_control(std::span<const std::uint8_t> payload, ControlMessage& out) noexcept {
    try {
        ByteReader r(payload);
        std::uint8_t kind = 0;
        if (!r.u8(kind)) return Errc::malformed_frame;
        bool ok = false;
        switch (static_cast<Kind>(kind)) {
            case Kind::register_: {
                Register m;
                ok = get_name(r, m.name) && get_names(r, m.services);
                if (ok) out = std::move(m);
                break;
            }
            case Kind::registered: {
                Registered m;
                ok = get_name(r, m.name);
                if (ok) out = std::move(m);
                break;
            }
            case Kind::list_request:
                ok = true;
                out = ListRequest{};
                break;
            case Kind::list_reply: {
                ListReply m;
                std::uint16_t count = 0;
                ok = r.u16(count) && count <= kMaxListEntries;
                if (ok) m.endpoints.resize(count);
                for (std::size_t i = 0; ok && i < count; ++i)
                    ok = get_name(r, m.endpoints[i].name) && get_names(r, m.endpoints[i].services);
                if (ok) out = std::move(m);
                break;
            }
            case Kind::error: {
                ControlError m;
                std::uint16_t code = 0;
                ok = r.u16(code) && r.str16(m.reason, kMaxReasonLen);
                m.code = errc_from_wire(code);
                if (ok) out = std::move(m);
                break;
            }
            case Kind::resume_ticket: {
                ResumeTicket m;
                ok = r.read(m.id) && r.read(m.secret);
                if (ok) out = std::move(m);
                break;
            }
            case Kind::check_request: {
                CheckRequest m;
                std::uint16_t count = 0;
                ok = r.u16(count) && count <= kMaxCheckTargets;
                if (ok) m.targets.resize(count);
                std::string endpoint, service;
                for (std::size_t i = 0; ok && i < count; ++i)
                    ok = r.str16(m.targets[i], kMaxTargetLen) && parse_target(m.targets[i], endpoint, service);
                if (ok) out = std::move(m);
                break;
            }
            case Kind::check_reply: {
                CheckReply m;
                std::uint16_t count = 0;
                ok = r.u16(count) && count <= kMaxCheckTargets;
                if (ok) m.results.resize(count);
                for (std::size_t i = 0; ok && i < count; ++i) {
                    std::uint8_t status = 0;
                    ok = r.u8(status) && status <= static_cast<std::uint8_t>(TargetStatus::not_granted) &&
                         get_names(r, m.results[i].names);
                    m.results[i].status = static_cast<TargetStatus>(status);
                }
                if (ok) out = std::move(m);
                break;
            }
            case Kind::lan_info: {
                LanInfo m;
                std::uint16_t count = 0;
                ok = r.u16(count) && count <= kMaxLanInterfaces;
                if (ok) m.interfaces.resize(count);
                for (std::size_t i = 0; ok && i < count; ++i) {
                    auto& itf = m.interfaces[i];
                    ok = r.read(itf.mac) && r.read(itf.address) && r.u8(itf.prefix) && itf.prefix <= 32;
                }
                if (ok) out = std::move(m);
                break;
            }
            case Kind::wake_request: {
                WakeRequest m;
                ok = get_name(r, m.endpoint);
                if (ok) out = std::move(m);
                break;
            }
            case Kind::wake_sent: {
                WakeSent m;
                ok = get_name(r, m.via) && r.read(m.mac);
                if (ok) out = std::move(m);
                break;
            }
            case Kind::wake_order: {
                WakeOrder m;
                ok = r.read(m.mac) && r.read(m.broadcast) && r.u16(m.port) && m.port != 0;
                if (ok) out = std::move(m);
                break;
            }
            case Kind::details_request:
                ok = true;
                out = DetailsRequest{};
                break;
            case Kind::details_reply: {
                DetailsReply m;
                std::uint16_t count = 0;
                ok = r.u16(count) && count <= kMaxListEntries;
                if (ok) m.endpoints.resize(count);
                for (std::size_t i = 0; ok && i < count; ++i) {
                    auto& e = m.endpoints[i];
                    std::uint8_t flags = 0;
                    ok = get_name(r, e.name) && r.u8(flags) && flags <= 1 && r.u64(e.since) &&
                         r.str16(e.address, kMaxAddressLen) && is_address_text(e.address) &&
                         get_names(r, e.services) && get_names(r, e.wakers) && get_candidates(r, e.candidates);
                    e.online = flags == 1;
                }
                if (ok) out = std::move(m);
                break;
            }
            case Kind::direct_info: {
                DirectInfo m;
                ok = get_candidates(r, m.candidates);
                if (ok) out = std::move(m);
                break;
            }
            case Kind::direct_request: {
                DirectRequest m;
                ok = get_name(r, m.endpoint);
                if (ok) out = std::move(m);
                break;
            }
            case Kind::direct_reply: {
                DirectReply m;
                ok = get_name(r, m.endpoint) && r.read(m.key) && get_candidates(r, m.candidates);
                if (ok) out = std::move(m);
                break;
            }
            default: return Errc::malformed_frame;
        }
        if (!ok || !r.at_end()) return Errc::malformed_frame;
        return {};
    } catch (const std::bad_alloc&) {
        return Errc::overloaded;
    }
}

}  // namespace burrow::proto
