#include "io/resume.hpp"

#include <spdlog/spdlog.h>

#include "io/backoff.hpp"
#include "io/relay_dial.hpp"
#include "io/session.hpp"
#include "proto/errc.hpp"
#include "proto/frame.hpp"
#include "proto/wire.hpp"

namespace burrow::io {
namespace {

constexpr std::size_t kResumePayload = 16 + 32 + 8;

std::vector<std::uint8_t> frame(std::uint8_t type, const std::vector<std::uint8_t>& payload) {
    std::vector<std::uint8_t> out;
    proto::append_frame(out, static_cast<proto::FrameType>(type), 0, 0, payload);
    return out;
}

awaitable<void> read_exactly(ByteStream& t, std::span<std::uint8_t> out) {
    std::size_t got = 0;
    while (got < out.size()) {
        const std::size_t n = co_await t.read_some(out.subspan(got));
        if (n == 0) throw std::runtime_error("the peer closed the connection");
        got += n;
    }
}

}  // namespace

awaitable<Opening> read_opening(ByteStream& transport) {
    Opening opening;
    std::array<std::uint8_t, proto::FrameHeader::kSize> header{};
    co_await read_exactly(transport, header);
    const std::uint32_t length = proto::load_be32(&header[6]);
    if (header[0] != proto::kResumeFrameType) {
        opening.bytes.assign(header.begin(), header.end());
        co_return opening;
    }
    if (length != kResumePayload) throw std::runtime_error("malformed RESUME");
    std::array<std::uint8_t, kResumePayload> payload{};
    co_await read_exactly(transport, payload);
    proto::ByteReader r(payload);
    opening.resume = true;
    r.read(opening.ticket.id);
    r.read(opening.ticket.secret);
    r.u64(opening.peer_received);
    co_return opening;
}

std::vector<std::uint8_t> resume_frame(const proto::ResumeTicket& ticket, std::uint64_t received) {
    std::vector<std::uint8_t> payload;
    proto::ByteWriter w(payload);
    w.bytes(std::span<const std::uint8_t>(ticket.id));
    w.bytes(std::span<const std::uint8_t>(ticket.secret));
    w.u64(received);
    return frame(proto::kResumeFrameType, payload);
}

std::vector<std::uint8_t> resumed_frame(std::uint64_t received) {
    std::vector<std::uint8_t> payload;
    proto::ByteWriter(payload).u64(received);
    return frame(proto::kResumedFrameType, payload);
}

std::vector<std::uint8_t> refusal_frame(const std::string& reason) {
    std::vector<std::uint8_t> payload;
    proto::ByteWriter w(payload);
    w.u16(static_cast<std::uint16_t>(proto::Errc::session_closed));
    w.bytes(std::string_view(reason).substr(0, proto::kMaxReasonLen));
    return frame(static_cast<std::uint8_t>(proto::FrameType::goaway), payload);
}

awaitable<void> reattach(std::shared_ptr<Session> session, Redial redial) {
    Backoff backoff(std::chrono::milliseconds(250), std::chrono::milliseconds(1000));
    asio::steady_timer pause(co_await asio::this_coro::executor);
    while (session->suspended() && !session->closed() && session->ticket()) {
        std::string failure;
        bool refused = false;
        try {
            auto transport = co_await redial();
            if (!session->suspended() || session->closed()) co_return;
            co_await transport->write_all(resume_frame(*session->ticket(), session->received_total()));
            std::array<std::uint8_t, proto::FrameHeader::kSize> header{};
            co_await read_exactly(*transport, header);
            const std::uint32_t length = proto::load_be32(&header[6]);
            if (length > proto::kMaxReasonLen + 2) throw std::runtime_error("malformed answer to RESUME");
            std::vector<std::uint8_t> payload(length);
            co_await read_exactly(*transport, payload);
            proto::ByteReader r(payload);
            std::uint64_t peer_received = 0;
            if (header[0] == proto::kResumedFrameType && r.u64(peer_received)) {
                session->resume(std::move(transport), peer_received);
                co_return;
            }
            std::uint16_t code = 0;
            r.u16(code);
            failure = "the relay cannot resume the session: " +
                      std::string(reinterpret_cast<const char*>(payload.data()) + std::min<std::size_t>(2, length),
                                  length - std::min<std::size_t>(2, length));
            refused = true;
        } catch (const RelayKeyRefused&) {
            // No use trying again until someone changes the pin; a new dial says how, once.
            failure = "the relay now presents another key";
            refused = true;
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (refused) {
            session->close(failure);
            co_return;
        }
        const auto delay = backoff.next();
        spdlog::info("resuming session: {}; trying again in {} ms", failure, delay.count());
        pause.expires_after(delay);
        error_code ec;
        co_await pause.async_wait(redirect_error(use_awaitable, ec));
    }
}

}  // namespace burrow::io
