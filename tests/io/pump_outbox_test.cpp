// io::PumpOutbox: bytes leave in order, from any split the mux takes them in.
#include "io/pump_outbox.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace burrow::io {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(PumpOutbox, TakesChunksInOrderFromAnOffset) {
    PumpOutbox box;
    EXPECT_TRUE(box.empty());
    EXPECT_TRUE(box.front().empty());
    box.append(Bytes{1, 2, 3});
    box.append(Bytes{});  // nothing to send: no chunk
    box.append(std::span<const std::uint8_t>(Bytes{4, 5}));
    EXPECT_EQ(box.size(), 5u);
    EXPECT_EQ(Bytes(box.front().begin(), box.front().end()), (Bytes{1, 2, 3}));
    box.consume(0);
    box.consume(2);
    EXPECT_EQ(Bytes(box.front().begin(), box.front().end()), (Bytes{3}));
    EXPECT_EQ(box.size(), 3u);
    box.consume(1);
    EXPECT_EQ(Bytes(box.front().begin(), box.front().end()), (Bytes{4, 5}));
    box.consume(2);
    EXPECT_TRUE(box.empty());
    EXPECT_EQ(box.size(), 0u);
}

TEST(PumpOutbox, AnySplitGivesTheSameBytes) {
    Bytes all;
    for (int i = 0; i < 300; ++i) all.push_back(static_cast<std::uint8_t>(i));
    for (std::size_t step = 1; step <= 17; ++step) {
        PumpOutbox box;
        for (std::size_t at = 0; at < all.size(); at += 50)
            box.append(std::span<const std::uint8_t>(all).subspan(at, std::min<std::size_t>(50, all.size() - at)));
        Bytes out;
        while (!box.empty()) {
            const auto front = box.front();
            const std::size_t n = std::min(step, front.size());
            out.insert(out.end(), front.begin(), front.begin() + static_cast<std::ptrdiff_t>(n));
            box.consume(n);
        }
        EXPECT_EQ(out, all) << "taking " << step << " at a time";
    }
}

}  // namespace
}  // namespace burrow::io
