// -L specs as `burrow forward` and client.toml take them.
#include <gtest/gtest.h>

#include "client/client.hpp"

using burrow::client::parse_forward_spec;

TEST(ForwardSpec, PortEndpointService) {
    const auto spec = parse_forward_spec("8888:gpu:jupyter");
    ASSERT_TRUE(spec);
    EXPECT_EQ(spec->bind.host, "127.0.0.1");
    EXPECT_EQ(spec->bind.port, 8888);
    EXPECT_EQ(spec->target(), "gpu/jupyter");
}

TEST(ForwardSpec, TargetWithASlashIsTheSame) {
    for (const char* text : {"8888:gpu/jupyter", "0.0.0.0:8888:gpu/jupyter", "[::1]:8888:gpu/jupyter"}) {
        const auto spec = parse_forward_spec(text);
        ASSERT_TRUE(spec) << text;
        EXPECT_EQ(spec->target(), "gpu/jupyter") << text;
        EXPECT_EQ(spec->bind.port, 8888) << text;
    }
    EXPECT_EQ(parse_forward_spec("[::1]:8888:gpu/jupyter")->bind.host, "::1");
    EXPECT_EQ(parse_forward_spec("*:1:gpu/ssh")->bind.host, "0.0.0.0");
}

TEST(ForwardSpec, BindAddresses) {
    EXPECT_EQ(parse_forward_spec("0.0.0.0:22:gpu:ssh")->bind.host, "0.0.0.0");
    EXPECT_EQ(parse_forward_spec("[::1]:22:gpu:ssh")->bind.host, "::1");
    EXPECT_EQ(parse_forward_spec("0:gpu:ssh")->bind.port, 0);
}

TEST(ForwardSpec, Refused) {
    for (const char* text : {"", "8888", "8888:gpu", "gpu:jupyter", "8888:gpu/a/b", "8888:gpu/", "8888:/ssh",
                             "99999:gpu:ssh", "x:gpu:ssh", "8888:g pu:ssh", "8888:gpu:jupyter/x"})
        EXPECT_FALSE(parse_forward_spec(text)) << text;
}
