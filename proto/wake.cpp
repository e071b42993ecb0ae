#include "proto/wake.hpp"

#include <charconv>

#include "proto/wire.hpp"

namespace burrow::proto {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::uint8_t> hex_byte(std::string_view two) {
    const int hi = hex_digit(two[0]), lo = hex_digit(two[1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    return static_cast<std::uint8_t>(hi * 16 + lo);
}

std::optional<std::array<std::uint8_t, 4>> parse_dotted(std::string_view text) {
    std::array<std::uint8_t, 4> out{};
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto dot = text.find('.');
        if ((dot == std::string_view::npos) != (i == out.size() - 1)) return std::nullopt;
        const auto part = text.substr(0, dot);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (part.empty() || part.size() > 3 || ec != std::errc{} || end != part.data() + part.size() || value > 255)
            return std::nullopt;
        out[i] = static_cast<std::uint8_t>(value);
        text = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
    }
    return out;
}

}  // namespace

std::optional<MacAddress> parse_mac(std::string_view text) {
    MacAddress mac{};
    const bool separated = text.size() == 17;
    if (!separated && text.size() != 12) return std::nullopt;
    const char sep = separated ? text[2] : '\0';
    if (separated && sep != ':' && sep != '-') return std::nullopt;
    for (std::size_t i = 0; i < mac.size(); ++i) {
        const std::size_t at = separated ? i * 3 : i * 2;
        if (separated && i > 0 && text[at - 1] != sep) return std::nullopt;
        const auto byte = hex_byte(text.substr(at, 2));
        if (!byte) return std::nullopt;
        mac[i] = *byte;
    }
    return mac;
}

std::string format_mac(const MacAddress& mac) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < mac.size(); ++i) {
        if (i > 0) out += ':';
        out += kHex[mac[i] >> 4];
        out += kHex[mac[i] & 15];
    }
    return out;
}

std::optional<std::vector<std::uint8_t>> parse_secureon(std::string_view text) {
    if (const auto six = parse_mac(text)) return std::vector<std::uint8_t>(six->begin(), six->end());
    if (const auto four = parse_dotted(text)) return std::vector<std::uint8_t>(four->begin(), four->end());
    return std::nullopt;
}

namespace {

std::uint32_t mask_of(std::uint8_t prefix) { return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix); }

}  // namespace

std::string ipv4_text(const std::array<std::uint8_t, 4>& a) {
    return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." + std::to_string(a[3]);
}

std::string subnet_text(const LanInterface& itf) {
    std::array<std::uint8_t, 4> net{};
    store_be32(net.data(), load_be32(itf.address.data()) & mask_of(itf.prefix));
    return ipv4_text(net) + "/" + std::to_string(itf.prefix);
}

std::array<std::uint8_t, 4> broadcast_of(const LanInterface& itf) {
    std::array<std::uint8_t, 4> out{};
    store_be32(out.data(), load_be32(itf.address.data()) | ~mask_of(itf.prefix));
    return out;
}

std::vector<std::uint8_t> magic_packet(const MacAddress& mac, std::span<const std::uint8_t> password) {
    std::vector<std::uint8_t> packet(6, 0xff);
    packet.reserve(kMagicPacketSize + password.size());
    for (int i = 0; i < 16; ++i) packet.insert(packet.end(), mac.begin(), mac.end());
    packet.insert(packet.end(), password.begin(), password.end());
    return packet;
}

}  // namespace burrow::proto
