#pragma once
// Two connected io::ByteStreams in memory, with faults injected on purpose
// (Beast's test::stream and its fail_count): fail the Nth read or write, cut
// the connection after N bytes, stall a write, hand bytes over one at a time.
// Single-threaded, like everything on an io_context in burrow.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "io/byte_stream.hpp"

namespace burrow::io::test {

enum class End : std::uint8_t { a, b };

// What goes wrong at one end. Counts start at 1; 0 means never.
struct StreamFaults {
    std::size_t fail_read = 0;    // the Nth try_read() throws system_error (io_error)
    std::size_t fail_write = 0;   // the Nth write_all() throws system_error (io_error)
    std::size_t stall_write = 0;  // the Nth write_all() completes only by failing when the stream closes
    // Once this end has written this many bytes, the connection breaks: the
    // write that crosses the mark delivers the bytes up to it and throws.
    std::optional<std::size_t> cut_after;
    bool cut_resets = false;  // at the cut, readers see connection_reset, not end of stream
    bool one_byte_reads = false;  // try_read() returns at most one byte
};

// What both ends share: the bytes in flight each way, the faults, the counts.
// Tests keep it to inject faults and look on after the streams moved into
// whatever they test.
class MemoryWire {
public:
    explicit MemoryWire(asio::any_io_executor ex);

    StreamFaults& faults(End end) noexcept { return end_state(end).faults; }
    // Breaks the connection now: both ends read what is in flight, then end
    // of stream (or connection_reset with `reset`); writes fail.
    void cut(bool reset = false);
    std::size_t written(End end) const noexcept { return end_state(end).written; }
    std::size_t reads(End end) const noexcept { return end_state(end).reads; }
    std::size_t writes(End end) const noexcept { return end_state(end).writes; }
    bool closed(End end) const noexcept { return end_state(end).closed; }
    bool send_shut(End end) const noexcept { return direction(end).eof; }
    bool reset_by(End end) const noexcept { return direction(end).reset; }
    // Bytes written by `end` that the other end has not read yet.
    std::size_t in_flight(End end) const noexcept { return direction(end).bytes.size(); }

private:
    friend class MemoryStream;
    struct Direction {  // written by one end, read by the other
        explicit Direction(const asio::any_io_executor& ex) : readable(ex) {}
        std::deque<std::uint8_t> bytes;
        bool eof = false;
        bool reset = false;
        asio::steady_timer readable;  // the reader parks on it
    };
    struct EndState {
        explicit EndState(const asio::any_io_executor& ex) : stall(ex) {}
        StreamFaults faults;
        std::size_t reads = 0;
        std::size_t writes = 0;
        std::size_t written = 0;
        bool closed = false;
        asio::steady_timer stall;  // a stalled write parks on it
    };
    static std::size_t index(End end) noexcept { return end == End::a ? 0 : 1; }
    Direction& direction(End writer) noexcept { return directions_[index(writer)]; }
    const Direction& direction(End writer) const noexcept { return directions_[index(writer)]; }
    EndState& end_state(End end) noexcept { return ends_[index(end)]; }
    const EndState& end_state(End end) const noexcept { return ends_[index(end)]; }
    void end_direction(End writer, bool reset);

    Direction directions_[2];
    EndState ends_[2];
};

struct MemoryStreamPair {
    std::unique_ptr<ByteStream> a;
    std::unique_ptr<ByteStream> b;
    std::shared_ptr<MemoryWire> wire;
};

MemoryStreamPair make_memory_stream_pair(asio::any_io_executor ex);

}  // namespace burrow::io::test
