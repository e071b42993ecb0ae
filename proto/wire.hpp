#pragma once
// Big-endian integer and length-prefixed string codecs over byte spans.
// ByteReader never reads past its span: every getter fails (returns false)
// instead, and the reader stays failed.
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace burrow::proto {

inline std::uint16_t load_be16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_be32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline void store_be16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

class ByteReader {
public:
    explicit ByteReader(std::span<const std::uint8_t> in) noexcept : in_(in) {}

    bool u8(std::uint8_t& out) noexcept;
    bool u16(std::uint16_t& out) noexcept;
    bool u32(std::uint32_t& out) noexcept;
    bool u64(std::uint64_t& out) noexcept;
    // u16 length, then that many bytes; fails if longer than max_len.
    bool str16(std::string& out, std::size_t max_len) noexcept;
    // Exactly out.size() bytes.
    bool read(std::span<std::uint8_t> out) noexcept;
    // Everything not read yet.
    std::span<const std::uint8_t> rest() noexcept;

    bool ok() const noexcept { return ok_; }
    bool at_end() const noexcept { return ok_ && pos_ == in_.size(); }

private:
    bool take(std::size_t n, const std::uint8_t*& p) noexcept;
    std::span<const std::uint8_t> in_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

class ByteWriter {
public:
    explicit ByteWriter(std::vector<std::uint8_t>& out) : out_(out) {}
    void u8(std::uint8_t v) { out_.push_back(v); }
    void u16(std::uint16_t v);
    void u32(std::uint32_t v);
    void u64(std::uint64_t v);
    void str16(std::string_view s);  // caller keeps s below 64 KiB
    void bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
    void bytes(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }

private:
    std::vector<std::uint8_t>& out_;
};

}  // namespace burrow::proto
