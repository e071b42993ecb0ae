// libFuzzer target for the hostile-input side of proto/.
//
// The first input byte picks the mode; the rest is what a peer sends:
//   bits 0-1  0 FrameReader + decode_control, 1 acceptor Mux after a HELLO prefix,
//             2 acceptor Mux with no prefix, 3 initiator Mux after a HELLO prefix
//   bits 2-4  how the bytes are cut (whole, 1, 2, 3, 5, 10, 17, 64)
//   bit  5    small MuxLimits
//   bit  6    the application never reads the mux's output
//   bit  7    the application reacts: opens, accepts, sends, finishes, replies
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "proto/control.hpp"
#include "tests/fuzz/invariant.hpp"
#include "proto/frame.hpp"
#include "proto/frame_reader.hpp"
#include "proto/mux.hpp"
#include "proto/wire.hpp"

namespace {

using namespace burrow::proto;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kChunks[] = {0, 1, 2, 3, 5, 10, 17, 64};
constexpr std::uint32_t kPeerMaxPayload = 1024;

// Calls `f` on successive pieces of `in`.
template <class F>
void in_chunks(std::span<const std::uint8_t> in, std::size_t chunk, F f) {
    if (chunk == 0) chunk = in.size() ? in.size() : 1;
    for (std::size_t pos = 0; pos < in.size(); pos += chunk)
        if (!f(in.subspan(pos, std::min(chunk, in.size() - pos)))) return;
}

void fuzz_reader(std::span<const std::uint8_t> in, std::size_t chunk) {
    FrameReader reader(FrameHeader::kMaxPayload);
    Bytes reserialized;
    std::error_code ec;
    in_chunks(in, chunk, [&](std::span<const std::uint8_t> piece) {
        FrameReader::Frame f;
        while (reader.next(piece, f, ec)) {
            CHECK(f.payload.size() == f.header.length);
            append_frame(reserialized, f.header.type, f.header.flags, f.header.stream, f.payload);
            if (f.header.type == FrameType::control) {
                ControlMessage msg;
                if (!decode_control(f.payload, msg)) {
                    ControlMessage again;
                    CHECK(!decode_control(encode_control(msg), again));
                    CHECK(again == msg);
                }
            }
        }
        CHECK(reader.buffered() <= FrameHeader::kSize + FrameHeader::kMaxPayload);
        return !ec;
    });
    CHECK(reserialized.size() <= in.size());
    CHECK(std::equal(reserialized.begin(), reserialized.end(), in.begin()));
}

Bytes peer_hello() {
    Bytes payload;
    ByteWriter w(payload);
    w.u16(1);
    w.u16(1);
    w.u32(64 * 1024);
    w.u32(kPeerMaxPayload);
    Bytes out;
    append_frame(out, FrameType::hello, 0, 0, payload);
    return out;
}

MuxLimits small_limits() {
    return {.stream_window = 4096,
            .session_window = 16384,
            .max_frame_payload = 1024,
            .max_streams = 4,
            .write_quantum = 512,
            .max_control_backlog = 2048,
            .output_chunk = 4096};
}

class Driver {
public:
    Driver(Role role, MuxLimits limits, bool reads_output, bool reacts)
        : mux_(role, limits), limits_(limits), reads_output_(reads_output), reacts_(reacts),
          shadow_(announced_max_payload()) {}

    void feed(std::span<const std::uint8_t> piece) {
        const std::size_t before = mux_.buffered_bytes();
        const std::error_code ec = mux_.receive(piece);
        const std::size_t after = mux_.buffered_bytes();
        shadow_read(piece);
        // frame_too_large only for a length above what this mux announced in its HELLO.
        if (ec == Errc::frame_too_large && !failed_) CHECK(shadow_ec_ == Errc::frame_too_large);
        // What one receive() can add: the control backlog, one frame's answer, a GOAWAY, a partial frame.
        const std::size_t allowance = limits_.max_control_backlog + 3 * FrameHeader::kSize + 2 * (2 + kMaxReasonLen) +
                                      FrameHeader::kMaxPayload + 64;
        CHECK(after <= before + allowance);
        if (ec) {
            CHECK(mux_.failed());
            CHECK(mux_.receive(piece) == ec);
            failed_ = true;
        }
        react();
        if (reads_output_) drain_output(piece.size() % 3 == 0 ? 7 : 0);
    }

    void finish() {
        react();
        drain_output(0);
        check_output();
    }

private:
    std::uint32_t announced_max_payload() {
        const auto out = mux_.pending_output();
        CHECK(out.size() >= FrameHeader::kSize + 12 && out[0] == static_cast<std::uint8_t>(FrameType::hello));
        const std::uint32_t announced = load_be32(out.data() + FrameHeader::kSize + 8);
        CHECK(announced >= 1024 && announced <= FrameHeader::kMaxPayload);
        return announced;
    }

    void shadow_read(std::span<const std::uint8_t> piece) {
        FrameReader::Frame f;
        while (!shadow_ec_ && shadow_.next(piece, f, shadow_ec_)) {
        }
    }

    void react() {
        while (auto event = mux_.poll_event()) {
            if (!reacts_) {
                if (auto* d = std::get_if<StreamData>(&*event)) mux_.grant(d->stream, d->bytes.size(), {});
                continue;
            }
            std::visit([this](auto& e) { on(e); }, *event);
        }
    }

    void on(Ready&) { own_ = mux_.open("lab/ssh"); }
    void on(AckReceived&) {}
    void on(StreamOpened& e) {
        CHECK(e.target.size() >= 1 && e.target.size() <= 255);
        if (e.stream % 5 == 0) {
            mux_.reject(e.stream, Errc::unknown_service, "no such service");
            return;
        }
        mux_.accept(e.stream);
        send_some(e.stream, 100);
        if (e.stream % 3 == 0) mux_.mark_end_to_end(e.stream);  // what follows the 100 bytes is flagged
    }
    void on(StreamAccepted& e) {
        mux_.mark_end_to_end(e.stream);  // all of it in DATA flagged E2E
        send_some(e.stream, 3000);
    }
    void on(StreamEndToEnd& e) { mux_.mark_end_to_end(e.stream); }  // as a relay passes the mark on
    void on(StreamRejected&) {}
    void on(StreamData& e) {
        mux_.grant(e.stream, e.bytes.size(), {});
        const std::size_t n = mux_.send(e.stream, e.bytes);
        CHECK(n <= e.bytes.size());
        sent_ += n;
    }
    void on(StreamFin& e) { mux_.finish(e.stream); }
    void on(StreamReset&) {}
    void on(StreamWritable& e) { send_some(e.stream, 5000); }
    void on(ControlReceived& e) {
        if (std::holds_alternative<Register>(e.message))
            mux_.send_control(Registered{std::get<Register>(e.message).name});
        else if (std::holds_alternative<ListRequest>(e.message))
            mux_.send_control(ListReply{{{"lab", {"ssh", "web"}}}});
    }
    void on(PongReceived&) {}
    void on(GoAwayReceived&) {
        CHECK(mux_.open("lab/late") == 0);
        mux_.goaway(Errc::going_away, "peer leaves");
    }

    void send_some(StreamId id, std::size_t n) {
        if (sent_ > 256 * 1024) return;
        const std::size_t capacity = mux_.send_capacity(id);
        CHECK(capacity <= 0x7fffffff);
        const Bytes bytes(n, 0x5a);
        const std::size_t taken = mux_.send(id, bytes);
        CHECK(taken == std::min(n, capacity));
        sent_ += taken;
        if (taken == n && id % 4 < 2) mux_.finish(id);
        if (id == own_ && taken == 0) mux_.want_writable(id);
    }

    void drain_output(std::size_t piece) {
        for (auto out = mux_.pending_output(); !out.empty(); out = mux_.pending_output()) {
            const std::size_t n = piece ? std::min(piece, out.size()) : out.size();
            output_.insert(output_.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
            mux_.consume_output(n);
        }
    }

    // What this mux wrote must be frames a correct peer can read.
    void check_output() {
        FrameReader reader(FrameHeader::kMaxPayload);
        std::span<const std::uint8_t> in(output_);
        FrameReader::Frame f;
        std::error_code ec;
        bool goaway_seen = false;
        bool first = true;
        while (reader.next(in, f, ec)) {
            if (first) CHECK(f.header.type == FrameType::hello);
            first = false;
            if (f.header.type == FrameType::data && prefixed_) CHECK(f.header.length <= kPeerMaxPayload);
            if (f.header.type == FrameType::goaway) goaway_seen = true;
        }
        CHECK(!ec);
        CHECK(reader.buffered() == 0);
        if (failed_) CHECK(goaway_seen);
    }

public:
    bool prefixed_ = false;

private:
    Mux mux_;
    MuxLimits limits_;
    bool reads_output_;
    bool reacts_;
    bool failed_ = false;
    StreamId own_ = 0;
    std::size_t sent_ = 0;
    Bytes output_;
    FrameReader shadow_;
    std::error_code shadow_ec_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    const std::span<const std::uint8_t> in(data + 1, size - 1);
    const std::size_t chunk = kChunks[(mode >> 2) & 7];
    const int target = mode & 3;
    if (target == 0) {
        fuzz_reader(in, chunk);
        return 0;
    }
    const MuxLimits limits = (mode & 0x20) ? small_limits() : MuxLimits{};
    Driver driver(target == 3 ? Role::initiator : Role::acceptor, limits, !(mode & 0x40), (mode & 0x80) != 0);
    if (target != 2) {
        driver.prefixed_ = true;
        driver.feed(peer_hello());
    }
    in_chunks(in, chunk, [&](std::span<const std::uint8_t> piece) {
        driver.feed(piece);
        return true;
    });
    driver.finish();
    return 0;
}
