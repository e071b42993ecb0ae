#include "proto/mux.hpp"

#include <algorithm>

#include "proto/wire.hpp"

namespace burrow::proto {
namespace {

constexpr std::int64_t kMaxCredit = 0x7fffffff;
constexpr std::size_t kMaxTargetLen = 255;
constexpr std::size_t kHelloSize = 12;
constexpr std::uint32_t kMinFramePayload = 1024;

bool is_valid_target(std::string_view target) noexcept {
    if (target.empty() || target.size() > kMaxTargetLen) return false;
    return std::all_of(target.begin(), target.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

std::string_view as_text(std::span<const std::uint8_t> bytes) noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), std::min(bytes.size(), kMaxReasonLen)};
}

// code:u16 | reason (rest) — REJECT, RESET and GOAWAY.
bool parse_coded(std::span<const std::uint8_t> payload, Errc& code, std::string& reason) {
    ByteReader r(payload);
    std::uint16_t wire = 0;
    if (!r.u16(wire)) return false;
    code = errc_from_wire(wire);
    reason.assign(as_text(r.rest()));
    return true;
}

// key_len:u8 was read; 0 = no key, 32 = a key follows.
bool read_key(ByteReader& r, std::uint8_t key_len, std::optional<PeerKey>& key) {
    if (key_len == 0) return true;
    if (key_len != std::tuple_size_v<PeerKey>) return false;
    key.emplace();
    return r.read(*key);
}

void write_key(ByteWriter& w, const std::optional<PeerKey>& key) {
    w.u8(key ? static_cast<std::uint8_t>(key->size()) : 0);
    if (key) w.bytes(std::span<const std::uint8_t>(*key));
}

}  // namespace

Mux::Mux(Role role, MuxLimits limits)
    : role_(role),
      limits_(limits),
      reader_(std::min<std::uint32_t>(limits.max_frame_payload, FrameHeader::kMaxPayload)),
      next_local_id_(role == Role::initiator ? 1 : 2),
      session_recv_remaining_(limits.session_window) {
    limits_.max_frame_payload =
        std::clamp<std::uint32_t>(limits_.max_frame_payload, kMinFramePayload, FrameHeader::kMaxPayload);
    limits_.stream_window = std::min<std::uint32_t>(limits_.stream_window, kMaxCredit);
    limits_.session_window = std::min<std::uint32_t>(limits_.session_window, kMaxCredit);
    limits_.max_stream_window = std::min<std::uint32_t>(limits_.max_stream_window, kMaxCredit);
    // A shared stream always keeps room for a full frame; a floor of 0 would let an idle one stall.
    limits_.shared_stream_window = std::max(limits_.shared_stream_window, limits_.max_frame_payload);
    limits_.write_quantum = std::max<std::uint32_t>(limits_.write_quantum, 1);
    session_recv_remaining_ = limits_.session_window;
    reader_.set_max_payload(limits_.max_frame_payload);
    std::vector<std::uint8_t> hello;
    ByteWriter w(hello);
    w.u16(kMinProtocolVersion);
    w.u16(kProtocolVersion);
    w.u32(limits_.session_window);
    w.u32(limits_.max_frame_payload);
    output_.queue_frame(FrameType::hello, 0, 0, hello);
}

// ---- input -----------------------------------------------------------------

std::error_code Mux::receive(std::span<const std::uint8_t> bytes) {
    if (failure_) return failure_;
    FrameReader::Frame frame;
    std::error_code ec;
    while (reader_.next(bytes, frame, ec)) {
        if (auto err = on_frame(frame.header, frame.payload)) return err;
        if (output_.control_backlog() > limits_.max_control_backlog)
            return fail(Errc::overloaded, "peer does not read its control replies");
    }
    if (ec) {
        const auto code = ec.category() == error_category() ? static_cast<Errc>(ec.value()) : Errc::protocol_error;
        return fail(code, ec.message());
    }
    return {};
}

std::optional<MuxEvent> Mux::poll_event() {
    if (events_.empty()) return std::nullopt;
    MuxEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
}

std::error_code Mux::on_frame(const FrameHeader& h, std::span<const std::uint8_t> payload) {
    if (!peer_hello_seen_ && h.type != FrameType::hello) return fail(Errc::protocol_error, "first frame is not HELLO");
    switch (h.type) {
        case FrameType::hello: return on_hello(payload);
        case FrameType::open: return on_open(h, payload);
        case FrameType::accept: return on_accept(h, payload);
        case FrameType::reject: return on_reject(h, payload);
        case FrameType::data: return on_data(h, payload);
        case FrameType::window: return on_window(h, payload);
        case FrameType::reset: return on_reset(h, payload);
        case FrameType::ping: return on_ping(h, payload);
        case FrameType::goaway: return on_goaway(payload);
        case FrameType::control: return on_control(payload);
        case FrameType::ack: return on_ack(payload);
    }
    return fail(Errc::unknown_frame_type, "unknown frame type");
}

std::error_code Mux::on_hello(std::span<const std::uint8_t> payload) {
    if (peer_hello_seen_) return fail(Errc::protocol_error, "second HELLO");
    if (payload.size() < kHelloSize) return fail(Errc::malformed_frame, "short HELLO");
    ByteReader r(payload);
    std::uint16_t min_version = 0, max_version = 0;
    std::uint32_t session_window = 0, max_payload = 0;
    r.u16(min_version);
    r.u16(max_version);
    r.u32(session_window);
    r.u32(max_payload);
    const std::uint16_t version = std::min(kProtocolVersion, max_version);
    if (min_version > max_version || version < std::max(kMinProtocolVersion, min_version))
        return fail(Errc::unsupported_version, "peer speaks versions " + std::to_string(min_version) + ".." +
                                                   std::to_string(max_version) + ", this side " +
                                                   std::to_string(kMinProtocolVersion) + ".." +
                                                   std::to_string(kProtocolVersion));
    if (max_payload < kMinFramePayload || max_payload > FrameHeader::kMaxPayload || session_window > kMaxCredit)
        return fail(Errc::malformed_frame, "HELLO settings out of range");
    peer_hello_seen_ = true;
    version_ = version;
    peer_max_payload_ = max_payload;
    session_send_credit_ = session_window;
    events_.emplace_back(Ready{});
    wake_blocked();
    return {};
}

std::error_code Mux::on_open(const FrameHeader& h, std::span<const std::uint8_t> payload) {
    if (!is_peer_id(h.stream) || h.stream <= last_peer_id_) return fail(Errc::bad_stream_id, "OPEN reuses or misnumbers a stream id");
    ByteReader r(payload);
    std::uint32_t window = 0;
    std::uint8_t key_len = 0;
    std::optional<PeerKey> key;
    if (!r.u32(window) || window > kMaxCredit || !r.u8(key_len) || !read_key(r, key_len, key))
        return fail(Errc::malformed_frame, "bad OPEN");
    last_peer_id_ = h.stream;
    const auto rest = r.rest();
    const auto target = as_text(rest);
    if (local_goaway_) {
        queue_coded(FrameType::reject, h.stream, Errc::going_away, "session is closing");
        return {};
    }
    if (!is_valid_target(target) || target.size() != rest.size()) {
        queue_coded(FrameType::reject, h.stream, Errc::bad_target, "malformed target");
        return {};
    }
    if (peer_streams_ >= limits_.max_streams) {
        queue_coded(FrameType::reject, h.stream, Errc::too_many_streams, "too many streams");
        return {};
    }
    Stream& s = streams_[h.stream];
    s.peer_opened = true;
    s.send_credit = window;
    ++peer_streams_;
    events_.emplace_back(StreamOpened{h.stream, std::string(target), key});
    return {};
}

std::error_code Mux::on_accept(const FrameHeader& h, std::span<const std::uint8_t> payload) {
    Stream* s = find(h.stream);
    if (!s) return was_used(h.stream) ? std::error_code{} : fail(Errc::bad_stream_id, "ACCEPT for an unknown stream");
    if (s->peer_opened || s->phase != Phase::opening) return fail(Errc::protocol_error, "unexpected ACCEPT");
    ByteReader r(payload);
    std::uint32_t window = 0;
    std::uint8_t key_len = 0;
    std::optional<PeerKey> key;
    if (!r.u32(window) || window > kMaxCredit || !r.u8(key_len) || !read_key(r, key_len, key) || !r.at_end())
        return fail(Errc::malformed_frame, "bad ACCEPT");
    if (s->send_credit + window > kMaxCredit) return fail(Errc::flow_control, "stream credit overflow");
    s->phase = Phase::open;
    s->send_credit += window;
    events_.emplace_back(StreamAccepted{h.stream, key});
    if (s->blocked && window > 0) {
        s->blocked = false;
        events_.emplace_back(StreamWritable{h.stream});
    }
    if (!s->send_buf.empty() || s->fin_queued) schedule(h.stream, *s);
    return {};
}

std::error_code Mux::on_reject(const FrameHeader& h, std::span<const std::uint8_t> payload) {
    Stream* s = find(h.stream);
    if (!s) return was_used(h.stream) ? std::error_code{} : fail(Errc::bad_stream_id, "REJECT for an unknown stream");
    if (s->peer_opened || s->phase != Phase::opening) return fail(Errc::protocol_error, "unexpected REJECT");
    Errc code{};
    std::string reason;
    if (!parse_coded(payload, code, reason)) return fail(Errc::malformed_frame, "bad REJECT");
    erase(h.stream);
    events_.emplace_back(StreamRejected{h.stream, code, std::move(reason)});
    return {};
}

std::error_code Mux::on_data(const FrameHeader& h, std::span<const std::uint8_t> payload) {
    if ((h.flags & kFlagE2e) && version_ < kEndToEndFlagVersion)
        return fail(Errc::malformed_frame, "E2E flag on a session of version 1");
    if (payload.size() > session_recv_remaining_) return fail(Errc::flow_control, "data beyond session credit");
    session_recv_remaining_ -= static_cast<std::uint32_t>(payload.size());
    Stream* s = find(h.stream);
    if (!s) {
        if (!was_used(h.stream)) return fail(Errc::bad_stream_id, "DATA for an unknown stream");
        grant(h.stream, payload.size(), {});  // late data for a closed stream: nobody will consume it
        return {};
    }
    if (s->fin_received || payload.size() > s->recv_remaining) {
        const bool after_fin = s->fin_received;
        const Errc code = after_fin ? Errc::protocol_error : Errc::flow_control;
        const char* why = after_fin ? "data after FIN" : "data beyond stream credit";
        queue_coded(FrameType::reset, h.stream, code, why);
        erase(h.stream);
        grant(h.stream, payload.size(), {});
        events_.emplace_back(StreamReset{h.stream, code, why});
        return {};
    }
    s->recv_remaining -= static_cast<std::uint32_t>(payload.size());
    s->recv_held += static_cast<std::uint32_t>(payload.size());
    if ((h.flags & kFlagE2e) && !s->e2e_in) {
        s->e2e_in = true;
        events_.emplace_back(StreamEndToEnd{h.stream});
    }
    if (!payload.empty()) events_.emplace_back(StreamData{h.stream, {payload.begin(), payload.end()}});
    if (h.flags & kFlagFin) {
        s->fin_received = true;
        events_.emplace_back(StreamFin{h.stream});
        close_if_done(h.stream, *s);
    }
    return {};
}

std::error_code Mux::on_window(const FrameHeader& h, std::span<const std::uint8_t> payload) {
    ByteReader r(payload);
    std::uint32_t increment = 0;
    if (!r.u32(increment) || !r.at_end() || increment == 0) return fail(Errc::malformed_frame, "bad WINDOW");
    if (h.stream == 0) {
        if (session_send_credit_ + increment > kMaxCredit) return fail(Errc::flow_control, "session credit overflow");
        session_send_credit_ += increment;
        wake_blocked();
        return {};
    }
    Stream* s = find(h.stream);
    if (!s) return was_used(h.stream) ? std::error_code{} : fail(Errc::bad_stream_id, "WINDOW for an unknown stream");
    if (s->send_credit + increment > kMaxCredit) return fail(Errc::flow_control, "stream credit overflow");
    s->send_credit += increment;
    if (s->blocked && send_capacity(h.stream) > 0) {
        s->blocked = false;
        events_.emplace_back(StreamWritable{h.stream});
    }
    return {};
}

std::error_code Mux::on_reset(const FrameHeader& h, std::span<const std::uint8_t> payload) {
    Errc code{};
    std::string reason;
    if (!parse_coded(payload, code, reason)) return fail(Errc::malformed_frame, "bad RESET");
    if (!find(h.stream)) return was_used(h.stream) ? std::error_code{} : fail(Errc::bad_stream_id, "RESET for an unknown stream");
    erase(h.stream);
    events_.emplace_back(StreamReset{h.stream, code, std::move(reason)});
    return {};
}

std::error_code Mux::on_ping(const FrameHeader& h, std::span<const std::uint8_t> payload) {
    ByteReader r(payload);
    std::uint64_t value = 0;
    if (!r.u64(value) || !r.at_end()) return fail(Errc::malformed_frame, "bad PING");
    if (h.flags & kFlagAck)
        events_.emplace_back(PongReceived{value});
    else
        output_.queue_frame(FrameType::ping, kFlagAck, 0, payload);
    return {};
}

std::error_code Mux::on_goaway(std::span<const std::uint8_t> payload) {
    Errc code{};
    std::string reason;
    if (!parse_coded(payload, code, reason)) return fail(Errc::malformed_frame, "bad GOAWAY");
    peer_goaway_ = true;
    events_.emplace_back(GoAwayReceived{code, std::move(reason)});
    return {};
}

std::error_code Mux::on_control(std::span<const std::uint8_t> payload) {
    ControlMessage msg;
    if (auto ec = decode_control(payload, msg)) return fail(Errc::malformed_frame, "bad control message");
    // Only the acceptor issues tickets (§3.6): one sent to it would let the peer choose what it honours.
    if (role_ == Role::acceptor && std::holds_alternative<ResumeTicket>(msg))
        return fail(Errc::protocol_error, "RESUME_TICKET sent to the acceptor");
    events_.emplace_back(ControlReceived{std::move(msg)});
    return {};
}

std::error_code Mux::on_ack(std::span<const std::uint8_t> payload) {
    ByteReader r(payload);
    std::uint64_t total = 0;
    if (!r.u64(total) || !r.at_end()) return fail(Errc::malformed_frame, "bad ACK");
    events_.emplace_back(AckReceived{total});
    return {};
}

std::error_code Mux::fail(Errc code, std::string_view reason) {
    if (failure_) return failure_;
    queue_coded(FrameType::goaway, 0, code, reason);
    local_goaway_ = true;
    local_goaway_final_ = true;
    failure_ = make_error_code(code);
    return failure_;
}

// ---- commands --------------------------------------------------------------

StreamId Mux::open(std::string_view target, const std::optional<PeerKey>& opener_key) {
    if (failure_ || local_goaway_ || peer_goaway_ || !is_valid_target(target) || next_local_id_ > kMaxCredit) return 0;
    const StreamId id = next_local_id_;
    next_local_id_ += 2;
    Stream& s = streams_[id];
    s.recv_remaining = limits_.stream_window;
    std::vector<std::uint8_t> payload;
    ByteWriter w(payload);
    w.u32(limits_.stream_window);
    write_key(w, opener_key);
    w.bytes(target);
    output_.queue_frame(FrameType::open, 0, id, payload);
    return id;
}

void Mux::accept(StreamId id, const std::optional<PeerKey>& acceptor_key) {
    Stream* s = find(id);
    if (!s || !s->peer_opened || s->phase != Phase::opening) return;
    s->phase = Phase::open;
    s->recv_remaining = limits_.stream_window;
    std::vector<std::uint8_t> payload;
    ByteWriter w(payload);
    w.u32(limits_.stream_window);
    write_key(w, acceptor_key);
    output_.queue_frame(FrameType::accept, 0, id, payload);
    if (!s->send_buf.empty() || s->fin_queued) schedule(id, *s);
}

void Mux::reject(StreamId id, Errc code, std::string_view reason) {
    Stream* s = find(id);
    if (!s || !s->peer_opened || s->phase != Phase::opening) return;
    queue_coded(FrameType::reject, id, code, reason);
    erase(id);
}

std::size_t Mux::send_capacity(StreamId id) const noexcept {
    const auto it = streams_.find(id);
    if (it == streams_.end() || failure_) return 0;
    const Stream& s = it->second;
    if (s.phase != Phase::open || s.fin_queued) return 0;
    const std::int64_t room = std::min(s.send_credit, session_send_credit_);
    return room > 0 ? static_cast<std::size_t>(room) : 0;
}

void Mux::want_writable(StreamId id) noexcept {
    if (Stream* s = find(id)) s->blocked = true;
}

std::size_t Mux::send(StreamId id, std::span<const std::uint8_t> bytes) {
    const std::size_t n = std::min(bytes.size(), send_capacity(id));
    Stream* s = find(id);
    if (!s) return 0;
    if (n < bytes.size()) s->blocked = true;
    if (n == 0) return 0;
    s->send_buf.append(bytes.first(n));
    s->send_credit -= static_cast<std::int64_t>(n);
    session_send_credit_ -= static_cast<std::int64_t>(n);
    schedule(id, *s);
    return n;
}

std::size_t Mux::send(StreamId id, std::vector<std::uint8_t>&& bytes) {
    if (bytes.empty() || bytes.size() > send_capacity(id)) return send(id, std::span<const std::uint8_t>(bytes));
    Stream* s = find(id);
    const std::size_t n = bytes.size();
    s->send_buf.append(std::move(bytes));
    bytes.clear();
    s->send_credit -= static_cast<std::int64_t>(n);
    session_send_credit_ -= static_cast<std::int64_t>(n);
    schedule(id, *s);
    return n;
}

void Mux::finish(StreamId id) {
    Stream* s = find(id);
    if (!s || s->fin_queued) return;
    s->fin_queued = true;
    if (s->phase == Phase::open) schedule(id, *s);
}

void Mux::reset(StreamId id, Errc code, std::string_view reason) {
    if (!find(id)) return;
    queue_coded(FrameType::reset, id, code, reason);
    erase(id);
}

void Mux::grant(StreamId id, std::size_t bytes, Clock::time_point now) {
    const auto clamp_to = [](std::uint32_t remaining, std::uint32_t pending, std::uint32_t window, std::size_t n) {
        const std::uint64_t room = window > std::uint64_t{remaining} + pending ? window - remaining - pending : 0;
        return static_cast<std::uint32_t>(std::min<std::uint64_t>(n, room));
    };
    session_recv_to_grant_ += clamp_to(session_recv_remaining_, session_recv_to_grant_, limits_.session_window, bytes);
    if (session_recv_to_grant_ > 0 && session_recv_to_grant_ >= limits_.session_window / 4) {
        queue_window(0, session_recv_to_grant_);
        session_recv_remaining_ += session_recv_to_grant_;
        session_recv_to_grant_ = 0;
    }
    Stream* s = find(id);
    if (!s || s->fin_received) return;  // the peer sends nothing more on it
    const auto consumed = static_cast<std::uint32_t>(std::min<std::size_t>(bytes, s->recv_held));
    s->recv_held -= consumed;
    s->tuner.consumed(consumed, now, min_rtt_);
    const bool busy = s->tuner.busy(limits_.shared_stream_window);
    if (busy != s->busy) {
        s->busy = busy;
        busy ? ++busy_streams_ : --busy_streams_;
    }
    // Credit due: whatever brings what the peer may have outstanding (its
    // credit, bytes delivered and not consumed, credit due) up to the window.
    // Consumed bytes are returned while the window stays; a window that grew
    // adds to them, one that shrank holds them back until it is reached.
    const std::uint32_t window = window_of(*s);
    const std::uint64_t outstanding = std::uint64_t{s->recv_remaining} + s->recv_held + s->recv_to_grant;
    if (window > outstanding) s->recv_to_grant += static_cast<std::uint32_t>(window - outstanding);
    // Batched by a quarter window, but never left due while the peer is nearly out of credit.
    const bool due = s->recv_to_grant >= window / 4 || s->recv_remaining < window / 4;
    if (s->recv_to_grant > 0 && due) {
        queue_window(id, s->recv_to_grant);
        s->recv_remaining += s->recv_to_grant;
        s->recv_to_grant = 0;
    }
}

std::uint32_t Mux::window_of(const Stream& s) const noexcept {
    // Shared: some other stream is quiet (idle, interactive or new) and would queue behind this one.
    const std::size_t quiet_others = streams_.size() - busy_streams_ - (s.busy ? 0 : 1);
    return s.tuner.window(quiet_others > 0, {limits_.shared_stream_window, limits_.stream_window,
                                                limits_.max_stream_window});
}

std::uint32_t Mux::receive_window(StreamId id) const noexcept {
    const auto it = streams_.find(id);
    return it == streams_.end() ? 0 : window_of(it->second);
}

void Mux::ping(std::uint64_t payload) {
    std::uint8_t bytes[8];
    store_be32(bytes, static_cast<std::uint32_t>(payload >> 32));
    store_be32(bytes + 4, static_cast<std::uint32_t>(payload));
    output_.queue_frame(FrameType::ping, 0, 0, bytes);
}

void Mux::ack(std::uint64_t received_total) {
    std::vector<std::uint8_t> payload;
    ByteWriter w(payload);
    w.u64(received_total);
    output_.queue_frame(FrameType::ack, 0, 0, payload);
}

void Mux::goaway(Errc code, std::string_view reason) {
    if (local_goaway_final_ || failure_ || (local_goaway_ && code == Errc::going_away)) return;
    local_goaway_ = true;
    local_goaway_final_ = code != Errc::going_away;
    queue_coded(FrameType::goaway, 0, code, reason);
}

void Mux::send_control(const ControlMessage& message) {
    const auto payload = encode_control(message);
    if (payload.size() > peer_max_payload()) return;  // callers keep messages small
    output_.queue_frame(FrameType::control, 0, 0, payload);
}

// ---- output ----------------------------------------------------------------

std::span<const std::uint8_t> Mux::pending_output() {
    // After a fatal GOAWAY nothing more goes out: no data turns behind it.
    const std::size_t chunk = failure_ ? 0 : limits_.output_chunk;
    const std::uint32_t max_chunk = std::min(limits_.write_quantum, peer_max_payload_ ? peer_max_payload_ : kMinFramePayload);
    return output_.pending(chunk, [&](StreamId id, std::vector<std::uint8_t>& out) { take_turn(id, max_chunk, out); });
}

void Mux::consume_output(std::size_t n) { output_.consume(n); }

bool Mux::has_output() const noexcept { return output_.has_output(); }

std::size_t Mux::buffered_bytes() const noexcept {
    std::size_t total = output_.buffered() + reader_.buffered();
    for (const auto& [id, s] : streams_) total += s.send_buf.size();
    return total;
}

void Mux::mark_end_to_end(StreamId id) noexcept {
    Stream* s = find(id);
    if (!s || s->e2e_out || version_ < kEndToEndFlagVersion) return;
    s->e2e_out = true;
    s->sealed_left = s->send_buf.size();
}

void Mux::take_turn(StreamId id, std::uint32_t max_chunk, std::vector<std::uint8_t>& out) {
    Stream* s = find(id);
    if (!s) return;
    s->scheduled = false;
    if (s->fin_sent) return;
    std::size_t n = std::min<std::size_t>(s->send_buf.size(), max_chunk);
    // A frame carries bytes from one side of the end-to-end mark only.
    const bool sealed_first = s->sealed_left > 0;
    if (sealed_first) n = std::min(n, s->sealed_left);
    s->sealed_left -= std::min(n, s->sealed_left);
    const bool fin = s->fin_queued && n == s->send_buf.size();
    if (n == 0 && !fin) return;
    std::uint8_t flags = fin ? kFlagFin : 0;
    if (s->e2e_out && !sealed_first && n > 0) flags |= kFlagE2e;
    std::uint8_t header[FrameHeader::kSize];
    FrameHeader{FrameType::data, flags, id, static_cast<std::uint32_t>(n)}.encode(header);
    out.insert(out.end(), header, header + FrameHeader::kSize);
    s->send_buf.take(n, out);
    if (fin) {
        s->fin_sent = true;
        close_if_done(id, *s);
    } else if (!s->send_buf.empty() || s->fin_queued) {
        schedule(id, *s);
    }
}

// ---- helpers ---------------------------------------------------------------

bool Mux::is_peer_id(StreamId id) const noexcept {
    const bool odd = (id & 1u) != 0;
    return id != 0 && (role_ == Role::initiator ? !odd : odd);
}

bool Mux::was_used(StreamId id) const noexcept {
    if (id == 0) return false;
    return is_peer_id(id) ? id <= last_peer_id_ : id < next_local_id_;
}

Mux::Stream* Mux::find(StreamId id) noexcept {
    const auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : &it->second;
}

void Mux::queue_coded(FrameType type, StreamId id, Errc code, std::string_view reason) {
    std::vector<std::uint8_t> payload;
    ByteWriter w(payload);
    w.u16(static_cast<std::uint16_t>(code));
    w.bytes(reason.substr(0, kMaxReasonLen));
    output_.queue_frame(type, 0, id, payload);
}

void Mux::queue_window(StreamId id, std::uint32_t increment) {
    std::uint8_t payload[4];
    store_be32(payload, increment);
    output_.queue_frame(FrameType::window, 0, id, payload);
}

void Mux::schedule(StreamId id, Stream& s) {
    if (s.scheduled || s.phase != Phase::open) return;
    s.scheduled = true;
    output_.schedule(id);
}

void Mux::close_if_done(StreamId id, Stream& s) {
    if (s.fin_sent && s.fin_received) erase(id);
}

void Mux::erase(StreamId id) {
    const auto it = streams_.find(id);
    if (it == streams_.end()) return;
    if (it->second.peer_opened) --peer_streams_;
    if (it->second.busy) --busy_streams_;
    // Credit held by unsent bytes goes back to the session; the peer never sees them.
    session_send_credit_ += static_cast<std::int64_t>(it->second.send_buf.size());
    streams_.erase(it);
}

void Mux::wake_blocked() {
    for (auto& [id, s] : streams_) {
        if (s.blocked && send_capacity(id) > 0) {
            s.blocked = false;
            events_.emplace_back(StreamWritable{id});
        }
    }
}

}  // namespace burrow::proto
