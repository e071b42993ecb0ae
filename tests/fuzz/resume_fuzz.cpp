// libFuzzer target for resumption (proto/resume_frames, proto/resumption).
// The first byte picks the mode; the rest is the input:
//   0: what a new transport opens with, read as io::read_opening reads it
//   1: the answer to a RESUME, read as io::reattach reads it
//   2: a script of operations on a Resumption, checked against a model of
//      the bytes written (each op: one byte, then its argument bytes)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "proto/resume_frames.hpp"
#include "tests/fuzz/invariant.hpp"
#include "proto/resumption.hpp"
#include "proto/wire.hpp"

namespace {

using namespace burrow::proto;
using Bytes = std::vector<std::uint8_t>;

// Feeds `in` as a reader would: only as many bytes as the parser asks for.
template <class Result, class Parse>
void read_as_io(std::span<const std::uint8_t> in, Parse parse) {
    std::size_t have = 0;
    for (;;) {
        Result r;
        if (parse(in.first(have), r)) return;
        const auto* need = std::get_if<NeedBytes>(&r);
        if (!need) return;
        CHECK(need->total > have);
        CHECK(need->total <= 10 + 2 + kMaxReasonLen);
        if (need->total > in.size()) return;  // the peer went away
        have = need->total;
    }
}

void fuzz_opening(std::span<const std::uint8_t> in) {
    read_as_io<Opening>(in, [](std::span<const std::uint8_t> bytes, Opening& out) {
        const auto ec = parse_opening(bytes, out);
        if (const auto* request = std::get_if<ResumeRequest>(&out); request && !ec) {
            const Bytes again = encode_resume(*request);
            CHECK(std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()));
        }
        return ec;
    });
}

void fuzz_answer(std::span<const std::uint8_t> in) {
    read_as_io<ResumeAnswer>(in, [](std::span<const std::uint8_t> bytes, ResumeAnswer& out) {
        const auto ec = parse_resume_answer(bytes, out);
        if (ec) return ec;
        if (const auto* accepted = std::get_if<ResumeAccepted>(&out)) {
            const Bytes again = encode_resumed(accepted->received);
            CHECK(std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()));
        }
        if (const auto* refused = std::get_if<ResumeRefused>(&out)) CHECK(refused->reason.size() <= kMaxReasonLen);
        return ec;
    });
}

void fuzz_resumption(std::span<const std::uint8_t> in) {
    ResumptionLimits limits;
    limits.ack_every = 64;
    limits.max_unacknowledged = 300;
    limits.ack_deadline = std::chrono::seconds(3);
    Resumption r(Role::acceptor, limits);
    Bytes model;             // every byte written, from offset 0
    std::uint64_t kept_from = 0;  // the first offset kept since enable()
    std::uint64_t acked = 0, last_ack = 0;
    Clock::time_point now{};
    ByteReader script(in);
    std::uint8_t op = 0;
    while (script.u8(op)) {
        std::uint8_t arg = 0;
        script.u8(arg);
        now += std::chrono::milliseconds(100 * (op >> 4));
        switch (op & 7) {
            case 0:
                if (!r.enabled()) {
                    r.enable(ResumeTicket{});
                    kept_from = model.size();
                    acked = std::max<std::uint64_t>(acked, kept_from);
                }
                break;
            case 1: {
                if (!r.may_write()) break;
                Bytes bytes(arg);
                for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(model.size() + i);
                const auto out = r.written(bytes, now);
                CHECK(std::equal(out.begin(), out.end(), bytes.begin(), bytes.end()));
                model.insert(model.end(), bytes.begin(), bytes.end());
                break;
            }
            case 2: {
                const std::uint64_t total = r.written_total() >= arg ? r.written_total() - arg : arg;
                const bool ok = !r.on_ack(total, now);
                CHECK(ok == (total <= model.size()));
                if (ok && r.enabled()) acked = std::max(acked, total);
                break;
            }
            case 3: {
                const std::uint64_t from = r.written_total() >= arg ? r.written_total() - arg : arg;
                Bytes out;
                const bool ok = r.replay(from, out, now);
                CHECK(ok == (r.enabled() ? from >= acked && from <= model.size() : from == model.size()));
                if (ok) {
                    CHECK(std::equal(out.begin(), out.end(), model.begin() + static_cast<std::ptrdiff_t>(from), model.end()));
                    acked = from;
                }
                break;
            }
            case 4:
                r.received(arg);
                break;
            case 5:
                if (const auto ack = r.ack_due(arg & 1)) {
                    CHECK(*ack == r.received_total());
                    CHECK(*ack > last_ack);
                    last_ack = *ack;
                }
                break;
            case 6:
                r.peer_reached(r.written_total() >= arg ? r.written_total() - arg : 0, now);
                break;
            case 7:
                (void)r.ack_overdue(now);
                break;
        }
        CHECK(r.written_total() == model.size());
        CHECK(r.unacknowledged() == (r.enabled() ? model.size() - acked : 0));
        CHECK(r.unacknowledged() <= limits.max_unacknowledged + 255);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::span<const std::uint8_t> in(data + 1, size - 1);
    switch (data[0] % 3) {
        case 0: fuzz_opening(in); break;
        case 1: fuzz_answer(in); break;
        default: fuzz_resumption(in); break;
    }
    return 0;
}
