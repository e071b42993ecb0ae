// io::PumpError: the words each code gives, as logs and RESET reasons carry them.
#include "io/pump_error.hpp"

#include <gtest/gtest.h>

#include "crypto/e2e_errc.hpp"
#include "proto/errc.hpp"

namespace burrow::io {
namespace {

TEST(PumpError, ACleanEndIsNoErrorAndNoWords) {
    const PumpError clean;
    EXPECT_FALSE(clean);
    EXPECT_EQ(clean.message(), "");
}

TEST(PumpError, WordsNameHowTheStreamEnded) {
    const PumpError reset{PumpErrc::reset_by_peer, proto::Errc::cancelled, "write: Broken pipe"};
    EXPECT_TRUE(reset);
    EXPECT_EQ(reset.message(), "stream reset by peer: write: Broken pipe");
    const PumpError closed{PumpErrc::session_closed, {}, "transport lost"};
    EXPECT_EQ(closed.message(), "session closed: transport lost");
    const std::error_code auth = crypto::E2eErrc::auth_failed;
    const PumpError e2e{PumpErrc::end_to_end, auth, auth.message()};
    EXPECT_EQ(e2e.message(), "end-to-end: " + auth.message());
    for (const auto code : {PumpErrc::local_failed, PumpErrc::dial_failed, PumpErrc::handshake_timeout,
                            PumpErrc::refused, PumpErrc::rejected}) {
        const PumpError e{code, {}, "as the layer said it"};
        EXPECT_EQ(e.message(), "as the layer said it");
    }
}

TEST(PumpError, CodesAreTheirOwnCategory) {
    const std::error_code code = PumpErrc::end_to_end;
    EXPECT_EQ(code.category(), pump_category());
    EXPECT_STREQ(pump_category().name(), "burrow-pump");
    EXPECT_NE(code, std::error_code(crypto::E2eErrc::auth_failed));
    for (int value = 1; value <= static_cast<int>(PumpErrc::session_closed); ++value)
        EXPECT_EQ(pump_category().message(value).find("unknown"), std::string::npos) << value;
}

}  // namespace
}  // namespace burrow::io
