#pragma once
// The order a mux's frames leave in. Control frames go first, in the order
// they were queued; then stream data round robin, one turn per ready stream,
// so a bulk stream cannot hold back a keystroke on another by more than one
// turn per busy stream. The mux says what a turn writes (take_turn below):
// the scheduler holds no stream state.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "proto/fifo.hpp"
#include "proto/frame.hpp"

namespace burrow::proto {

class OutputScheduler {
public:
    // Queues a frame ahead of all stream data.
    void queue_frame(FrameType type, std::uint8_t flags, StreamId id, std::span<const std::uint8_t> payload);
    // Gives `id` a turn at the end of the round; the caller makes sure it waits for one turn at most.
    void schedule(StreamId id) { ready_.push_back(id); }

    // Bytes to write, stable until consume() takes them all; frames queued
    // meanwhile go behind. Once all were taken: the control frames queued
    // since, then turns of the ready streams until about `chunk` bytes are
    // there. `take_turn(id, out)` appends one turn of stream `id` to `out`
    // (possibly nothing) and may schedule it again.
    template <class TakeTurn>
    std::span<const std::uint8_t> pending(std::size_t chunk, TakeTurn&& take_turn);
    void consume(std::size_t n) noexcept;
    // consume() of all of it, handing the bytes over as a buffer of the caller's.
    std::vector<std::uint8_t> take_all();

    bool has_output() const noexcept { return taken_ < out_.size() || !control_.empty() || !ready_.empty(); }
    std::size_t control_backlog() const noexcept { return control_.size(); }
    // Bytes queued here: control frames and what pending() handed out, not yet consumed.
    std::size_t buffered() const noexcept { return control_.size() + (out_.size() - taken_); }

private:
    std::vector<std::uint8_t> control_;  // frames waiting to enter out_, ahead of data
    std::vector<std::uint8_t> out_;      // handed out by pending()
    std::size_t taken_ = 0;              // bytes of out_ already consumed
    Fifo<StreamId> ready_;               // streams with data or FIN to send
};

template <class TakeTurn>
std::span<const std::uint8_t> OutputScheduler::pending(std::size_t chunk, TakeTurn&& take_turn) {
    if (taken_ >= out_.size()) {
        out_.clear();
        taken_ = 0;
        out_.swap(control_);
        // after take_all() gave the buffer away: room for the turns, so they append without moving it
        if (!ready_.empty() && out_.capacity() < chunk) out_.reserve(chunk + chunk / 4);
        while (out_.size() < chunk && !ready_.empty()) {
            const StreamId id = ready_.front();
            ready_.pop_front();
            take_turn(id, out_);
        }
    }
    return std::span<const std::uint8_t>(out_).subspan(taken_);
}

}  // namespace burrow::proto
