#pragma once
// The bytes a StreamPump has encoded (handshake messages, records) and the
// mux has not taken yet, in the order they go out. The front chunk is sent
// from an offset, so taking part of it moves no bytes; an empty outbox holds
// no memory.
#include <cstdint>
#include <span>
#include <vector>

#include "proto/fifo.hpp"

namespace burrow::io {

class PumpOutbox {
public:
    bool empty() const noexcept { return chunks_.empty(); }
    std::size_t size() const noexcept { return size_; }

    void append(std::vector<std::uint8_t>&& bytes) {
        if (bytes.empty()) return;
        size_ += bytes.size();
        chunks_.push_back(std::move(bytes));
    }
    void append(std::span<const std::uint8_t> bytes) { append(std::vector<std::uint8_t>(bytes.begin(), bytes.end())); }

    // The bytes to send next: the rest of the front chunk (empty if none).
    std::span<const std::uint8_t> front() const {
        if (chunks_.empty()) return {};
        return std::span<const std::uint8_t>(chunks_.front()).subspan(front_sent_);
    }
    // The mux took the first `n` bytes of front().
    void consume(std::size_t n) {
        if (n == 0) return;
        front_sent_ += n;
        size_ -= n;
        if (front_sent_ < chunks_.front().size()) return;
        chunks_.pop_front();
        front_sent_ = 0;
    }

private:
    proto::Fifo<std::vector<std::uint8_t>> chunks_;
    std::size_t front_sent_ = 0;
    std::size_t size_ = 0;
};

}  // namespace burrow::io
