#include "proto/fifo.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace burrow::proto {
namespace {

TEST(Fifo, FirstInFirstOutAcrossCompaction) {
    Fifo<int> q;
    int next_in = 0;
    int next_out = 0;
    // Pops lag pushes, so the front moves far enough to be compacted many times.
    for (int round = 0; round < 1000; ++round) {
        for (int i = 0; i < 3; ++i) q.push_back(next_in++);
        for (int i = 0; i < 2; ++i) {
            ASSERT_EQ(q.front(), next_out++);
            q.pop_front();
        }
        ASSERT_EQ(q.size(), static_cast<std::size_t>(next_in - next_out));
    }
    std::vector<int> rest(q.begin(), q.end());
    ASSERT_EQ(rest.size(), q.size());
    for (int v : rest) EXPECT_EQ(v, next_out++);
}

TEST(Fifo, PopFrontLeavesTheNext) {
    Fifo<std::vector<char>> q;
    q.emplace_back(1000, 'a');
    q.emplace_back(10, 'b');
    const std::vector<char>& first = q.front();
    EXPECT_EQ(first.size(), 1000u);
    q.pop_front();
    EXPECT_EQ(q.front(), std::vector<char>(10, 'b'));
    EXPECT_EQ(q.size(), 1u);
}

TEST(Fifo, BackIsTheLastPushed) {
    Fifo<std::string> q;
    q.push_back("one");
    q.emplace_back("two");
    EXPECT_EQ(q.back(), "two");
    q.back() += "!";
    q.pop_front();
    EXPECT_EQ(q.front(), "two!");
}

TEST(Fifo, EmptyAfterTheLastPopAndAfterClear) {
    Fifo<int> q;
    EXPECT_TRUE(q.empty());
    q.push_back(1);
    q.pop_front();
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.begin(), q.end());
    q.push_back(2);
    q.push_back(3);
    q.clear();
    EXPECT_TRUE(q.empty());
    q.push_back(4);
    EXPECT_EQ(q.front(), 4);
}

}  // namespace
}  // namespace burrow::proto
