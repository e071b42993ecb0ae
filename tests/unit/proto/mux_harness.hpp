#pragma once
// Shared helpers for the proto tests: frame builders, an output parser, and
// trade_bytes, which wires two muxes together in memory (STYLE.md S3).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/control.hpp"
#include "proto/frame.hpp"
#include "proto/frame_reader.hpp"
#include "proto/mux.hpp"
#include "proto/wire.hpp"

namespace burrow::proto::test {

using Bytes = std::vector<std::uint8_t>;

inline Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline std::string text(std::span<const std::uint8_t> b) { return std::string(b.begin(), b.end()); }

inline Bytes filled(std::size_t n, std::uint8_t seed = 0) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(seed + i * 31);
    return out;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

// ---- frames as a peer would write them ----------------------------------------

inline Bytes frame(FrameType type, std::uint8_t flags, StreamId stream, std::span<const std::uint8_t> payload) {
    Bytes out;
    append_frame(out, type, flags, stream, payload);
    return out;
}

// A header that claims `length` bytes, whatever follows it.
inline Bytes raw_header(std::uint8_t type, std::uint8_t flags, StreamId stream, std::uint32_t length) {
    Bytes out(FrameHeader::kSize);
    out[0] = type;
    out[1] = flags;
    store_be32(&out[2], stream);
    store_be32(&out[6], length);
    return out;
}

struct HelloFields {
    std::uint16_t min_version = 1;
    std::uint16_t max_version = 1;
    std::uint32_t session_window = 32 * 1024 * 1024;
    std::uint32_t max_frame_payload = 16 * 1024;
};

inline Bytes hello_payload(const HelloFields& f = {}) {
    Bytes out;
    ByteWriter w(out);
    w.u16(f.min_version);
    w.u16(f.max_version);
    w.u32(f.session_window);
    w.u32(f.max_frame_payload);
    return out;
}

inline Bytes hello_frame(const HelloFields& f = {}) { return frame(FrameType::hello, 0, 0, hello_payload(f)); }

inline void put_key(ByteWriter& w, const std::optional<PeerKey>& key) {
    w.u8(key ? static_cast<std::uint8_t>(key->size()) : 0);
    if (key) w.bytes(std::span<const std::uint8_t>(*key));
}

inline Bytes open_frame(StreamId id, std::uint32_t window, std::string_view target,
                        const std::optional<PeerKey>& key = std::nullopt) {
    Bytes payload;
    ByteWriter w(payload);
    w.u32(window);
    put_key(w, key);
    w.bytes(target);
    return frame(FrameType::open, 0, id, payload);
}

inline Bytes accept_frame(StreamId id, std::uint32_t window, const std::optional<PeerKey>& key = std::nullopt) {
    Bytes payload;
    ByteWriter w(payload);
    w.u32(window);
    put_key(w, key);
    return frame(FrameType::accept, 0, id, payload);
}

inline PeerKey sample_key(std::uint8_t seed = 1) {
    PeerKey key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(seed * 7 + i);
    return key;
}

inline Bytes coded_frame(FrameType type, StreamId id, Errc code, std::string_view reason) {
    Bytes payload;
    ByteWriter w(payload);
    w.u16(static_cast<std::uint16_t>(code));
    w.bytes(reason);
    return frame(type, 0, id, payload);
}

inline Bytes data_frame(StreamId id, std::span<const std::uint8_t> payload, bool fin = false) {
    return frame(FrameType::data, fin ? kFlagFin : 0, id, payload);
}
inline Bytes data_frame(StreamId id, std::string_view payload, bool fin = false) {
    return data_frame(id, bytes(payload), fin);
}

inline Bytes window_frame(StreamId id, std::uint32_t increment) {
    Bytes payload(4);
    store_be32(payload.data(), increment);
    return frame(FrameType::window, 0, id, payload);
}

inline Bytes u64_payload(std::uint64_t value) {
    Bytes payload;
    ByteWriter(payload).u64(value);
    return payload;
}

inline Bytes ping_frame(std::uint64_t value, bool ack = false) {
    return frame(FrameType::ping, ack ? kFlagAck : 0, 0, u64_payload(value));
}

inline Bytes control_frame(const ControlMessage& msg) { return frame(FrameType::control, 0, 0, encode_control(msg)); }

// ---- reading what a mux wrote --------------------------------------------------

struct ParsedFrame {
    FrameHeader header;
    Bytes payload;

    std::uint16_t code() const { return payload.size() >= 2 ? load_be16(payload.data()) : 0; }
    std::string reason() const { return payload.size() > 2 ? text(std::span(payload).subspan(2)) : ""; }
    std::uint32_t u32() const { return payload.size() >= 4 ? load_be32(payload.data()) : 0; }
};

inline std::vector<ParsedFrame> parse_frames(std::span<const std::uint8_t> in) {
    std::vector<ParsedFrame> out;
    FrameReader reader(FrameHeader::kMaxPayload);
    FrameReader::Frame f;
    std::error_code ec;
    while (reader.next(in, f, ec)) out.push_back({f.header, Bytes(f.payload.begin(), f.payload.end())});
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(reader.buffered(), 0u) << "output ends inside a frame";
    return out;
}

// Everything the mux has to write, consumed.
inline Bytes take_output_bytes(Mux& m) {
    Bytes all;
    for (auto out = m.pending_output(); !out.empty(); out = m.pending_output()) {
        all.insert(all.end(), out.begin(), out.end());
        m.consume_output(out.size());
    }
    return all;
}

inline std::vector<ParsedFrame> take_output(Mux& m) { return parse_frames(take_output_bytes(m)); }

inline std::vector<ParsedFrame> of_type(const std::vector<ParsedFrame>& frames, FrameType type) {
    std::vector<ParsedFrame> out;
    for (const auto& f : frames)
        if (f.header.type == type) out.push_back(f);
    return out;
}

// ---- events -----------------------------------------------------------------------

inline std::vector<MuxEvent> drain_events(Mux& m) {
    std::vector<MuxEvent> out;
    while (auto e = m.poll_event()) out.push_back(std::move(*e));
    return out;
}

template <class T>
std::vector<T> events_of(const std::vector<MuxEvent>& events) {
    std::vector<T> out;
    for (const auto& e : events)
        if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
    return out;
}

template <class T>
bool has_event(const std::vector<MuxEvent>& events) {
    return !events_of<T>(events).empty();
}

// All StreamData bytes for `id`, in order.
inline std::string data_for(const std::vector<MuxEvent>& events, StreamId id) {
    std::string out;
    for (const auto& d : events_of<StreamData>(events))
        if (d.stream == id) out += text(d.bytes);
    return out;
}

// ---- two muxes, no sockets ---------------------------------------------------------

// How trade_bytes cuts the byte stream: whole pending_output() spans, one byte
// at a time, or random pieces.
enum class Split { whole, bytewise, random };

inline std::string split_name(Split s) {
    switch (s) {
        case Split::whole: return "whole";
        case Split::bytewise: return "bytewise";
        case Split::random: return "random";
    }
    return "?";
}

// Moves bytes both ways until neither side has more to say.
inline void trade_bytes(Mux& a, Mux& b, Split split = Split::whole, std::uint32_t seed = 1) {
    std::mt19937 rng(seed);
    for (bool moved = true; moved;) {
        moved = false;
        for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
            for (auto out = from->pending_output(); !out.empty(); out = from->pending_output()) {
                std::size_t n = out.size();
                if (split == Split::bytewise) n = 1;
                if (split == Split::random) n = std::uniform_int_distribution<std::size_t>(1, out.size())(rng);
                ASSERT_FALSE(to->receive(out.first(n))) << "receiver failed";
                from->consume_output(n);
                moved = true;
            }
        }
    }
}

// A connected pair: both HELLOs traded, Ready seen on each side.
struct Link {
    explicit Link(MuxLimits initiator_limits = {}, MuxLimits acceptor_limits = {}, Split split = Split::whole)
        : client(Role::initiator, initiator_limits), server(Role::acceptor, acceptor_limits), split(split) {}

    Mux client;
    Mux server;
    Split split;
    std::vector<MuxEvent> client_events;
    std::vector<MuxEvent> server_events;

    void trade() {
        trade_bytes(client, server, split, seed++);
        for (auto& e : drain_events(client)) client_events.push_back(std::move(e));
        for (auto& e : drain_events(server)) server_events.push_back(std::move(e));
    }

    // Events gathered since the last call.
    std::vector<MuxEvent> client_take() { return std::exchange(client_events, {}); }
    std::vector<MuxEvent> server_take() { return std::exchange(server_events, {}); }

    void establish() {
        trade();
        ASSERT_TRUE(client.ready());
        ASSERT_TRUE(server.ready());
        ASSERT_TRUE(has_event<Ready>(client_take()));
        ASSERT_TRUE(has_event<Ready>(server_take()));
    }

    // client opens `target`, server accepts; returns the id.
    StreamId open_accepted(std::string_view target = "lab/ssh") {
        const StreamId id = client.open(target);
        EXPECT_NE(id, 0u);
        trade();
        const auto opened = events_of<StreamOpened>(server_take());
        EXPECT_EQ(opened.size(), 1u);
        server.accept(id);
        trade();
        EXPECT_TRUE(has_event<StreamAccepted>(client_take()));
        return id;
    }

    std::uint32_t seed = 1;
};

// One mux under test, fed hand-made frames by a peer that has sent its HELLO.
struct Hostile {
    explicit Hostile(Role role = Role::acceptor, MuxLimits limits = {}, HelloFields peer_hello = {})
        : role(role), mux(role, limits) {
        take_output(mux);
        EXPECT_FALSE(mux.receive(hello_frame(peer_hello)));
        drain_events(mux);
    }

    std::error_code feed(const Bytes& b) { return mux.receive(b); }

    Role role;
    Mux mux;
};

inline Mux fresh_acceptor(MuxLimits limits = {}) {
    Mux m(Role::acceptor, limits);
    take_output(m);
    return m;
}

inline std::vector<ParsedFrame> frames_on(const std::vector<ParsedFrame>& frames, FrameType type, StreamId id) {
    std::vector<ParsedFrame> out;
    for (const auto& f : of_type(frames, type))
        if (f.header.stream == id) out.push_back(f);
    return out;
}

// The peer (initiator) has opened stream 1 and this side accepted it.
inline Hostile with_accepted_stream(MuxLimits limits = {}, std::uint32_t peer_window = 1 << 20) {
    Hostile h(Role::acceptor, limits);
    EXPECT_FALSE(h.feed(open_frame(1, peer_window, "lab/ssh")));
    h.mux.accept(1);
    take_output(h.mux);
    drain_events(h.mux);
    return h;
}

// This side opened stream 2 and its peer has not answered yet.
inline Hostile with_own_waiting_stream() {
    Hostile h(Role::acceptor);
    EXPECT_EQ(h.mux.open("lab/ssh"), 2u);
    take_output(h.mux);
    return h;
}

inline Bytes payload_frame(FrameType type, StreamId id, Bytes payload, std::uint8_t flags = 0) {
    return frame(type, flags, id, payload);
}

// A fatal error: returned now and later, failed(), and a GOAWAY with the code queued.
inline void expect_fatal(Mux& m, std::error_code got, Errc want) {
    EXPECT_EQ(got, make_error_code(want)) << "got " << got.message();
    EXPECT_TRUE(m.failed());
    const auto frames = take_output(m);
    const auto goaways = of_type(frames, FrameType::goaway);
    ASSERT_EQ(goaways.size(), 1u);
    EXPECT_EQ(goaways[0].code(), static_cast<std::uint16_t>(want));
    EXPECT_EQ(m.receive(ping_frame(1)), make_error_code(want)) << "later calls must return the same error";
    EXPECT_TRUE(take_output(m).empty()) << "nothing more after a fatal error";
}

}  // namespace burrow::proto::test
