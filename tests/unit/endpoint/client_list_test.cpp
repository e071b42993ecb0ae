// The endpoint's own list of who may reach which service.
#include <gtest/gtest.h>

#include "endpoint/client_list.hpp"

using namespace burrow;
using endpoint::ClientList;
using endpoint::parse_allowed_clients;

namespace {

crypto::PublicKey key(std::uint8_t fill) {
    crypto::PublicKey k;
    k.bytes.fill(fill);
    return k;
}

}  // namespace

TEST(ClientList, EmptyAdmitsNoOne) {
    EXPECT_FALSE(ClientList{}.admits(key(1), "ssh"));
}

TEST(ClientList, KeyAndServiceMustBothMatch) {
    const ClientList list({{key(1), {"ssh", "jupyter"}, "alice", "test"}, {key(2), {}, "", "test"}});
    EXPECT_TRUE(list.admits(key(1), "ssh"));
    EXPECT_TRUE(list.admits(key(1), "jupyter"));
    EXPECT_FALSE(list.admits(key(1), "web"));
    EXPECT_TRUE(list.admits(key(2), "web"));  // no services: every one
    EXPECT_FALSE(list.admits(key(3), "ssh"));
    EXPECT_EQ(list.describe(key(1)), "alice (" + key(1).fingerprint() + ")");
    EXPECT_EQ(list.describe(key(3)), key(3).fingerprint());
}

TEST(AllowedClientsFile, ReadsWhatAllowWrites) {
    const std::string text = "# who may reach gpu\n\n" +
                             endpoint::allowed_client_line(key(1), {"ssh", "jupyter"}, "alice laptop") + "\n" +
                             endpoint::allowed_client_line(key(2), {}, "") + "\r\n";
    const auto clients = parse_allowed_clients(text, "allowed_clients");
    ASSERT_EQ(clients.size(), 2u);
    EXPECT_EQ(clients[0].key, key(1));
    EXPECT_EQ(clients[0].services, (std::vector<std::string>{"ssh", "jupyter"}));
    EXPECT_EQ(clients[0].label, "alice laptop");
    EXPECT_EQ(clients[0].origin, "allowed_clients:3");
    EXPECT_EQ(clients[1].key, key(2));
    EXPECT_TRUE(clients[1].services.empty());
    EXPECT_EQ(clients[1].label, "");
}

TEST(AllowedClientsFile, StarMeansEveryService) {
    const auto clients = parse_allowed_clients("services=* " + key(1).to_text() + "\n", "f");
    ASSERT_EQ(clients.size(), 1u);
    EXPECT_TRUE(clients[0].services.empty());
}

TEST(AllowedClientsFile, BadLinesNameTheirLine) {
    const std::string good = key(1).to_text();
    const std::vector<std::string> bads{"not a key", "services=ssh", "services= " + good, "services=s$h " + good,
                                        "burrow-ed25519 AAAA", good.substr(0, good.size() - 2)};
    for (const auto& bad : bads) {
        try {
            parse_allowed_clients(good + "\n" + bad + "\n", "f");
            ADD_FAILURE() << "accepted: " << bad;
        } catch (const std::runtime_error& e) {
            EXPECT_EQ(std::string(e.what()).rfind("f:2: ", 0), 0u) << e.what();
        }
    }
}

TEST(ClientList, AdmitsSomeIsAnyServiceOfTheKey) {
    const ClientList list({{key(1), {"ssh"}, "alice", "test"}, {key(2), {}, "", "test"}});
    EXPECT_TRUE(list.admits_some(key(1)));
    EXPECT_TRUE(list.admits_some(key(2)));
    EXPECT_FALSE(list.admits_some(key(3)));
    EXPECT_FALSE(ClientList{}.admits_some(key(1)));
}
