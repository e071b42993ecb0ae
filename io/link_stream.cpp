#include "io/link_stream.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "crypto/e2e_errc.hpp"
#include "crypto/link_records.hpp"

namespace burrow::io {
namespace {

using crypto::E2eErrc;

// Ciphertext read per try_read(); with one partial record ahead of it, its
// plaintext fits in a 64 KiB caller buffer.
constexpr std::size_t kWireRead = 64 * 1024 - crypto::RecordOpener::kMaxCipher - 2;

[[noreturn]] void fail(std::error_code ec) {
    const char* why = "a record is malformed";
    if (ec == E2eErrc::auth_failed) why = "a record failed authentication (altered or injected on the way)";
    if (ec == E2eErrc::record_too_large) why = "a record is larger than allowed";
    if (ec == E2eErrc::record_limit) why = "the record limit of this connection is reached";
    if (ec == E2eErrc::closed) why = "the link is closed after an earlier error";
    throw std::runtime_error(std::string("link: ") + why);
}

std::span<std::uint8_t> wire_scratch() {
    thread_local std::array<std::uint8_t, kWireRead> buffer;
    return buffer;
}

std::vector<std::uint8_t>& plain_scratch() {
    thread_local std::vector<std::uint8_t> buffer;
    return buffer;
}

class LinkByteStream final : public ByteStream {
public:
    LinkByteStream(std::unique_ptr<ByteStream> transport, crypto::LinkKeys keys)
        : transport_(std::move(transport)), sealer_(std::move(keys.sealer)), opener_(std::move(keys.opener)) {}

    std::optional<std::size_t> try_read(std::span<std::uint8_t> buf) override {
        if (!pending_.empty()) return take_pending(buf);
        if (at_eof_) return 0;
        if (opener_.raw_due() > 0) return read_raw(buf);
        for (;;) {
            // Records open straight into a caller buffer with room for all a read
            // can hold; into a scratch one otherwise, the rest kept for later.
            const bool direct = buf.size() >= opener_.held() + kDirectBelow;
            const auto wire = wire_scratch();
            const std::size_t room = direct ? buf.size() - opener_.held() : buf.size();
            const auto got = transport_->try_read(wire.first(std::min(wire.size(), room)));
            if (!got) return std::nullopt;
            if (*got == 0) {
                at_eof_ = true;
                if (opener_.mid_record()) throw std::runtime_error(kCutShort);
                return 0;
            }
            std::size_t n = 0;
            if (direct) {
                if (auto ec = opener_.open(wire.first(*got), buf, n)) fail(ec);
            } else {
                auto& plain = plain_scratch();
                plain.clear();
                if (auto ec = opener_.open(wire.first(*got), plain)) fail(ec);
                n = std::min(plain.size(), buf.size());
                if (n > 0) std::memcpy(buf.data(), plain.data(), n);
                pending_.assign(plain.begin() + static_cast<std::ptrdiff_t>(n), plain.end());
            }
            if (opener_.peer_closed()) at_eof_ = true;
            if (n > 0 || at_eof_) return n;
            // only part of a record so far
        }
    }

    awaitable<void> wait_readable() override { co_await transport_->wait_readable(); }

    awaitable<void> write_all(std::span<const std::uint8_t> bytes) override {
        if (bytes.empty()) co_return;
        const std::size_t n = sealer_.wire_size(bytes);
        const auto out = std::make_unique_for_overwrite<std::uint8_t[]>(n);
        const std::span<std::uint8_t> sealed(out.get(), n);
        if (auto ec = sealer_.seal(bytes, sealed)) fail(ec);
        co_await transport_->write_all(sealed);
    }

    void shutdown_send() noexcept override { transport_->shutdown_send(); }
    void close() noexcept override { transport_->close(); }
    void reset() noexcept override { transport_->reset(); }
    std::string describe() const override { return transport_->describe(); }

private:
    // How much more room than the partial record held a caller buffer needs
    // for records to open straight into it.
    static constexpr std::size_t kDirectBelow = 4096;

    static constexpr const char* kCutShort = "link: the connection ended in the middle of a record";

    // An end-to-end payload goes from the transport to the caller as it is.
    std::optional<std::size_t> read_raw(std::span<std::uint8_t> buf) {
        const auto room = static_cast<std::size_t>(std::min<std::uint64_t>(opener_.raw_due(), buf.size()));
        const auto got = transport_->try_read(buf.first(room));
        if (got && *got == 0) {
            at_eof_ = true;
            throw std::runtime_error(kCutShort);
        }
        if (got) opener_.passed_raw(*got);
        return got;
    }

    std::size_t take_pending(std::span<std::uint8_t> buf) {
        const std::size_t n = std::min(pending_.size() - pending_at_, buf.size());
        std::memcpy(buf.data(), pending_.data() + pending_at_, n);
        pending_at_ += n;
        if (pending_at_ == pending_.size()) {
            std::vector<std::uint8_t>().swap(pending_);
            pending_at_ = 0;
        }
        return n;
    }

    std::unique_ptr<ByteStream> transport_;
    crypto::LinkSealer sealer_;
    crypto::LinkOpener opener_;
    std::vector<std::uint8_t> pending_;  // plaintext the caller had no room for
    std::size_t pending_at_ = 0;
    bool at_eof_ = false;
};

}  // namespace

std::unique_ptr<ByteStream> make_link_stream(std::unique_ptr<ByteStream> transport, crypto::LinkKeys keys) {
    return std::make_unique<LinkByteStream>(std::move(transport), std::move(keys));
}

}  // namespace burrow::io
