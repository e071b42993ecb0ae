// What a running forward says of itself, as `burrow status` reads it.
#include <gtest/gtest.h>

#include "client/forward_status.hpp"

using namespace burrow::client;

TEST(ForwardStatus, JsonRoundTripKeepsEveryField) {
    ForwardStatus s;
    s.pid = 42;
    s.relay = "vps.example.org:7443";
    s.session = "connected";
    s.since = 1000;
    s.now = 1060;
    s.forwards.push_back({"127.0.0.1:2222", "lab/ssh", "ok", 1, 3, 4096, 1 << 20, "direct 11.77.0.2:7444"});
    s.forwards.push_back({"127.0.0.1:8888", "lab/jupyter", "", 0, 0, 0, 0, "relay"});
    const auto back = parse_forward_status_json(forward_status_json(s));
    EXPECT_EQ(back.pid, 42);
    EXPECT_EQ(back.relay, s.relay);
    ASSERT_EQ(back.forwards.size(), 2u);
    EXPECT_EQ(back.forwards[0].path, "direct 11.77.0.2:7444");
    EXPECT_EQ(back.forwards[0].bytes_received, 1u << 20);
    EXPECT_EQ(back.forwards[1].path, "relay");
    EXPECT_EQ(back.forwards[1].state, "");
}

TEST(ForwardStatus, MalformedTextIsRefused) {
    EXPECT_THROW(parse_forward_status_json("{"), std::runtime_error);
    EXPECT_THROW(parse_forward_status_json(R"({"role":"relay"})"), std::runtime_error);
}
