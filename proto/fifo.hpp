#pragma once
// A first-in, first-out queue that holds no memory while empty. std::deque
// allocates a block and a map as soon as it is constructed (~600 bytes in
// libstdc++), which every idle stream and session paid for several times
// over, though their queues are empty nearly all the time. Elements live in
// one vector; the popped front is dropped at once (so a chunk's memory goes
// when it is taken), and the vector is given back when it empties.
#include <cstddef>
#include <utility>
#include <vector>

namespace burrow::proto {

template <class T>
class Fifo {
public:
    bool empty() const noexcept { return head_ == items_.size(); }
    std::size_t size() const noexcept { return items_.size() - head_; }

    T& front() { return items_[head_]; }
    const T& front() const { return items_[head_]; }
    T& back() { return items_.back(); }

    template <class... Args>
    T& emplace_back(Args&&... args) {
        return items_.emplace_back(std::forward<Args>(args)...);
    }
    void push_back(T value) { items_.push_back(std::move(value)); }

    void pop_front() {
        items_[head_] = T{};
        if (++head_ == items_.size()) {
            clear();
        } else if (head_ >= kCompactAfter && head_ * 2 >= items_.size()) {
            items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
    }

    void clear() noexcept {
        std::vector<T>().swap(items_);
        head_ = 0;
    }

    auto begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
    auto end() const { return items_.end(); }

private:
    static constexpr std::size_t kCompactAfter = 32;
    std::vector<T> items_;
    std::size_t head_ = 0;
};

}  // namespace burrow::proto
