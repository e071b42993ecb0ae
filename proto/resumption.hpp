#pragma once
// The resumable part of a session (docs/PROTOCOL.md §3.6), without I/O: the
// ticket, the bytes written and not yet acknowledged, the bytes received and
// when to acknowledge them, and what to replay when a new transport takes
// over. The session hands it every byte it writes and counts the bytes it
// reads once their frame is whole (so every count sent is a frame boundary,
// where a new transport starts); time comes in as an argument.
//
// Only the acceptor issues a ticket (enable()); the initiator takes the one
// it is sent (take_ticket()). A peer that stops acknowledging while bytes
// wait for it is told apart from a slow one by PING: once its PONG shows it
// has received bytes, their ACK is due within `ack_deadline`.
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "proto/control.hpp"
#include "proto/mux.hpp"
#include "proto/resend_buffer.hpp"
#include "proto/resume_frames.hpp"

namespace burrow::proto {

struct ResumptionLimits {
    std::uint64_t ack_every = 128 * 1024;                // ACK after this many bytes received
    std::size_t max_unacknowledged = 16 * 1024 * 1024;  // the writer waits beyond this
    Clock::duration ack_deadline = std::chrono::seconds(20);
};

class Resumption {
public:
    Resumption(Role role, ResumptionLimits limits) : role_(role), limits_(limits) {}

    // Acceptor: starts keeping what it writes, under the ticket it issued.
    void enable(const ResumeTicket& ticket);
    // Initiator: the ticket the acceptor sent. protocol_error for an
    // acceptor (it never honours one) or a second ticket.
    std::error_code take_ticket(const ResumeTicket& ticket);
    bool enabled() const noexcept { return ticket_.has_value(); }
    const std::optional<ResumeTicket>& ticket() const noexcept { return ticket_; }

    // --- what this side writes
    // False while max_unacknowledged bytes wait for the peer's ACK.
    bool may_write() const noexcept { return !enabled() || resend_.size() <= limits_.max_unacknowledged; }
    // `bytes` are handed to the transport now. Resumable: returns the kept
    // copy, to be written from; otherwise they are only counted and `bytes`
    // comes back.
    std::span<const std::uint8_t> written(std::span<const std::uint8_t> bytes, Clock::time_point now);
    // The same for a buffer the caller gives up (Mux::take_output()): kept without a copy.
    std::span<const std::uint8_t> written(std::vector<std::uint8_t>&& bytes, Clock::time_point now);
    // The peer's ACK. protocol_error when it acknowledges bytes never written.
    std::error_code on_ack(std::uint64_t total, Clock::time_point now);
    // Everything written before offset `sent` reached the peer (the PONG to a
    // PING sent after it came back): its ACK is due.
    void peer_reached(std::uint64_t sent, Clock::time_point now);
    // The peer holds back its ACKs: bytes it has received stay unacknowledged
    // past the deadline, or the writer has waited that long for any ACK.
    bool ack_overdue(Clock::time_point now) const noexcept;
    std::uint64_t written_total() const noexcept { return resend_.end(); }
    std::size_t unacknowledged() const noexcept { return resend_.size(); }

    // --- what this side reads
    void received(std::size_t n) noexcept { received_ += n; }
    std::uint64_t received_total() const noexcept { return received_; }
    // The value for an ACK when one is due: `ack_every` bytes since the last,
    // or, on a `tick` (with each PING), anything new.
    std::optional<std::uint64_t> ack_due(bool tick) noexcept;

    // --- a new transport
    // Initiator: the RESUME frame. Requires enabled().
    std::vector<std::uint8_t> resume_request() const;
    // The peer has received `peer_received` bytes: appends what it missed to
    // `out` and drops what it has. False (nothing appended) when the bytes it
    // needs are no longer kept, or it claims more than was written.
    bool replay(std::uint64_t peer_received, std::vector<std::uint8_t>& out, Clock::time_point now);

private:
    struct Due {
        std::uint64_t offset = 0;
        Clock::time_point by{};
    };

    Role role_;
    ResumptionLimits limits_;
    std::optional<ResumeTicket> ticket_;
    ResendBuffer resend_;
    std::uint64_t received_ = 0;
    std::uint64_t acked_ = 0;                    // what our last ACK told the peer
    std::optional<Due> due_;                     // an ACK the peer owes
    std::optional<Clock::time_point> blocked_;  // the writer waits for an ACK since then
};

}  // namespace burrow::proto
