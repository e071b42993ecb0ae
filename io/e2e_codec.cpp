#include "io/e2e_codec.hpp"

#include <optional>

#include "crypto/record.hpp"

namespace burrow::io {
namespace {

class E2eCodec final : public StreamCodec {
public:
    explicit E2eCodec(crypto::E2eHandshake hs) : hs_(std::move(hs)) {}

    std::vector<std::uint8_t> take_output() override { return hs_.take_output(); }

    std::error_code decode(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& plain) override {
        if (!hs_.done()) {
            std::size_t used = 0;
            if (auto ec = hs_.consume(in, used)) return ec;
            in = in.subspan(used);
            if (!hs_.done()) return {};
            if (hs_.encrypted()) {
                sealer_.emplace(hs_.sealer());
                opener_.emplace(hs_.opener());
            }
        }
        if (in.empty()) return {};
        if (opener_) return opener_->open(in, plain);
        plain.insert(plain.end(), in.begin(), in.end());
        return {};
    }

    bool can_encode() const override { return hs_.done(); }
    bool sends_records() const override { return sealer_.has_value(); }

    std::size_t plain_fits(std::size_t room) const override {
        if (!sealer_) return room;
        constexpr std::size_t record = crypto::RecordSealer::kMaxPlain + crypto::RecordSealer::kOverhead;
        const std::size_t rest = room % record;
        return room / record * crypto::RecordSealer::kMaxPlain +
               (rest > crypto::RecordSealer::kOverhead ? rest - crypto::RecordSealer::kOverhead : 0);
    }

    // Before the handshake is done nothing may leave: not plaintext, not an end.
    std::error_code encode(std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& out) override {
        if (!hs_.done()) return crypto::E2eErrc::closed;
        if (!sealer_) {
            out.insert(out.end(), plain.begin(), plain.end());
            return {};
        }
        return sealer_->seal(plain, out);
    }

    std::error_code finish(std::vector<std::uint8_t>& out) override {
        if (!hs_.done()) return crypto::E2eErrc::closed;
        if (!sealer_) return {};
        return sealer_->seal_close(out);
    }

    std::error_code on_peer_fin() const override {
        if (!hs_.done()) return crypto::E2eErrc::truncated;
        if (opener_ && !opener_->peer_closed()) return crypto::E2eErrc::truncated;
        return {};
    }

private:
    crypto::E2eHandshake hs_;
    std::optional<crypto::RecordSealer> sealer_;
    std::optional<crypto::RecordOpener> opener_;
};

}  // namespace

std::unique_ptr<StreamCodec> make_e2e_codec(crypto::E2eHandshake handshake) {
    return std::make_unique<E2eCodec>(std::move(handshake));
}

}  // namespace burrow::io
