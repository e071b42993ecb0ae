#include "proto/wire.hpp"

#include <algorithm>

namespace burrow::proto {

bool ByteReader::take(std::size_t n, const std::uint8_t*& p) noexcept {
    if (!ok_ || in_.size() - pos_ < n) {
        ok_ = false;
        return false;
    }
    p = in_.data() + pos_;
    pos_ += n;
    return true;
}

bool ByteReader::u8(std::uint8_t& out) noexcept {
    const std::uint8_t* p = nullptr;
    if (!take(1, p)) return false;
    out = *p;
    return true;
}

bool ByteReader::u16(std::uint16_t& out) noexcept {
    const std::uint8_t* p = nullptr;
    if (!take(2, p)) return false;
    out = load_be16(p);
    return true;
}

bool ByteReader::u32(std::uint32_t& out) noexcept {
    const std::uint8_t* p = nullptr;
    if (!take(4, p)) return false;
    out = load_be32(p);
    return true;
}

bool ByteReader::u64(std::uint64_t& out) noexcept {
    const std::uint8_t* p = nullptr;
    if (!take(8, p)) return false;
    out = (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
    return true;
}

bool ByteReader::str16(std::string& out, std::size_t max_len) noexcept {
    std::uint16_t len = 0;
    if (!u16(len)) return false;
    if (len > max_len) {
        ok_ = false;
        return false;
    }
    const std::uint8_t* p = nullptr;
    if (!take(len, p)) return false;
    try {
        out.assign(reinterpret_cast<const char*>(p), len);
    } catch (...) {
        ok_ = false;
        return false;
    }
    return true;
}

bool ByteReader::read(std::span<std::uint8_t> out) noexcept {
    const std::uint8_t* p = nullptr;
    if (!take(out.size(), p)) return false;
    std::copy_n(p, out.size(), out.begin());
    return true;
}

std::span<const std::uint8_t> ByteReader::rest() noexcept {
    if (!ok_) return {};
    auto r = in_.subspan(pos_);
    pos_ = in_.size();
    return r;
}

void ByteWriter::u16(std::uint16_t v) {
    std::uint8_t b[2];
    store_be16(b, v);
    out_.insert(out_.end(), b, b + 2);
}

void ByteWriter::u32(std::uint32_t v) {
    std::uint8_t b[4];
    store_be32(b, v);
    out_.insert(out_.end(), b, b + 4);
}

void ByteWriter::u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v >> 32));
    u32(static_cast<std::uint32_t>(v));
}

void ByteWriter::str16(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    bytes(s);
}

}  // namespace burrow::proto
