#include "io/resume.hpp"

#include <spdlog/spdlog.h>

#include "io/backoff.hpp"
#include "io/relay_dial.hpp"
#include "io/session.hpp"

namespace burrow::io {
namespace {

// Reads until `bytes` holds `total` bytes.
awaitable<void> read_up_to(ByteStream& t, std::vector<std::uint8_t>& bytes, std::size_t total) {
    std::size_t got = bytes.size();
    bytes.resize(total);
    while (got < total) {
        const std::size_t n = co_await t.read_some(std::span<std::uint8_t>(bytes).subspan(got));
        if (n == 0) throw std::runtime_error("the peer closed the connection");
        got += n;
    }
}

// What the relay answered a RESUME with.
awaitable<proto::ResumeAnswer> read_answer(ByteStream& t) {
    std::vector<std::uint8_t> bytes;
    proto::ResumeAnswer answer;
    for (;;) {
        if (const auto ec = proto::parse_resume_answer(bytes, answer))
            throw std::runtime_error("malformed answer to RESUME: " + ec.message());
        const auto* need = std::get_if<proto::NeedBytes>(&answer);
        if (!need) co_return answer;
        co_await read_up_to(t, bytes, need->total);
    }
}

}  // namespace

awaitable<Opening> read_opening(ByteStream& transport) {
    Opening opening;
    proto::Opening parsed;
    for (;;) {
        if (const auto ec = proto::parse_opening(opening.bytes, parsed))
            throw std::runtime_error("malformed RESUME: " + ec.message());
        if (const auto* need = std::get_if<proto::NeedBytes>(&parsed)) {
            co_await read_up_to(transport, opening.bytes, need->total);
            continue;
        }
        if (const auto* request = std::get_if<proto::ResumeRequest>(&parsed)) {
            opening.resume = *request;
            opening.bytes.clear();
        }
        co_return opening;
    }
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
            co_await transport->write_all(session->resume_request());
            const auto answer = co_await read_answer(*transport);
            if (const auto* accepted = std::get_if<proto::ResumeAccepted>(&answer)) {
                session->resume(std::move(transport), accepted->received);
                co_return;
            }
            failure = "the relay cannot resume the session: " + std::get<proto::ResumeRefused>(answer).reason;
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
