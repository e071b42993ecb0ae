#include "proto/errc.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace burrow::proto {
namespace {

TEST(Errc, WireValuesAreFixed) {
    EXPECT_EQ(static_cast<std::uint16_t>(Errc::protocol_error), 1);
    EXPECT_EQ(static_cast<std::uint16_t>(Errc::flow_control), 6);
    EXPECT_EQ(static_cast<std::uint16_t>(Errc::bad_stream_id), 7);
    EXPECT_EQ(static_cast<std::uint16_t>(Errc::overloaded), 14);
    EXPECT_EQ(static_cast<std::uint16_t>(Errc::going_away), 18);
    EXPECT_EQ(static_cast<std::uint16_t>(Errc::bad_target), 20);
    EXPECT_EQ(kLastErrc, 20);
}

TEST(Errc, FromWireRoundTripsEveryKnownValue) {
    for (std::uint16_t v = 1; v <= kLastErrc; ++v) EXPECT_EQ(static_cast<std::uint16_t>(errc_from_wire(v)), v);
}

TEST(Errc, FromWireMapsUnknownValuesToProtocolError) {
    EXPECT_EQ(errc_from_wire(0), Errc::protocol_error);
    EXPECT_EQ(errc_from_wire(kLastErrc + 1), Errc::protocol_error);
    EXPECT_EQ(errc_from_wire(0xffff), Errc::protocol_error);
}

TEST(Errc, EveryCodeHasAUniqueNameAndAMessage) {
    std::set<std::string_view> names;
    for (std::uint16_t v = 1; v <= kLastErrc; ++v) {
        const auto e = static_cast<Errc>(v);
        EXPECT_NE(errc_name(e), "unknown");
        EXPECT_TRUE(names.insert(errc_name(e)).second) << errc_name(e);
        EXPECT_EQ(std::string(make_error_code(e).message()).find("unknown error"), std::string::npos);
    }
    EXPECT_EQ(errc_name(Errc::flow_control), "flow_control");
}

TEST(Errc, ConvertsToErrorCodeInTheBurrowCategory) {
    const std::error_code ec = Errc::frame_too_large;
    EXPECT_EQ(&ec.category(), &error_category());
    EXPECT_EQ(ec.value(), 4);
    EXPECT_TRUE(ec == Errc::frame_too_large);
    EXPECT_STREQ(error_category().name(), "burrow");
}

}  // namespace
}  // namespace burrow::proto
