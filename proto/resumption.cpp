#include "proto/resumption.hpp"

namespace burrow::proto {

void Resumption::enable(const ResumeTicket& ticket) { ticket_ = ticket; }

std::error_code Resumption::take_ticket(const ResumeTicket& ticket) {
    if (role_ != Role::initiator || ticket_) return Errc::protocol_error;
    ticket_ = ticket;
    return {};
}

std::span<const std::uint8_t> Resumption::written(std::span<const std::uint8_t> bytes, Clock::time_point now) {
    if (!enabled()) {
        resend_.skip(bytes.size());  // counted, so offsets agree with the peer's if resumption starts
        return bytes;
    }
    const auto kept = resend_.append(bytes);
    if (!may_write() && !blocked_) blocked_ = now;
    return kept;
}

std::span<const std::uint8_t> Resumption::written(std::vector<std::uint8_t>&& bytes, Clock::time_point now) {
    if (!enabled()) return written(std::span<const std::uint8_t>(bytes), now);
    const auto kept = resend_.append(std::move(bytes));
    if (!may_write() && !blocked_) blocked_ = now;
    return kept;
}

std::error_code Resumption::on_ack(std::uint64_t total, Clock::time_point now) {
    const std::uint64_t before = resend_.begin();
    if (!resend_.acknowledge(total)) return Errc::protocol_error;
    if (due_ && resend_.begin() >= due_->offset) due_.reset();
    if (resend_.begin() > before) blocked_ = may_write() ? std::nullopt : std::optional(now);
    return {};
}

void Resumption::peer_reached(std::uint64_t sent, Clock::time_point now) {
    if (!enabled() || due_ || sent <= resend_.begin()) return;
    due_ = Due{sent, now + limits_.ack_deadline};
}

bool Resumption::ack_overdue(Clock::time_point now) const noexcept {
    if (due_ && now >= due_->by) return true;
    return blocked_ && now - *blocked_ >= limits_.ack_deadline;
}

std::optional<std::uint64_t> Resumption::ack_due(bool tick) noexcept {
    if (!enabled() || received_ == acked_) return std::nullopt;
    if (!tick && received_ - acked_ < limits_.ack_every) return std::nullopt;
    acked_ = received_;
    return received_;
}

std::vector<std::uint8_t> Resumption::resume_request() const {
    return encode_resume(ResumeRequest{ticket_.value_or(ResumeTicket{}), received_});
}

bool Resumption::replay(std::uint64_t peer_received, std::vector<std::uint8_t>& out, Clock::time_point now) {
    std::vector<std::span<const std::uint8_t>> missed;
    if (!resend_.replay_from(peer_received, missed)) return false;
    for (const auto piece : missed) out.insert(out.end(), piece.begin(), piece.end());
    resend_.acknowledge(peer_received);
    due_.reset();  // the replayed bytes go out on a new transport, PINGs measure afresh
    blocked_ = may_write() ? std::nullopt : std::optional(now);
    return true;
}

}  // namespace burrow::proto
