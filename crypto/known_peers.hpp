#pragma once
// Trust-on-first-use records of peer keys, like ssh's known_hosts.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/identity.hpp"

namespace burrow::crypto {

// A known-peers file: lines "NAME <public key text>" (the key text may carry a comment);
// '#' comments and blank lines are ignored. NAME is a relay address "host:port" or an
// endpoint name, compared exactly. A name may appear on several lines (e.g. during a key
// rollover); any of its keys matches. Every query re-reads the file, so edits by hand or by
// another process are seen. A malformed line makes any query throw IdentityError
// ("PATH:3: not 'NAME KEY'").
class KnownPeers {
public:
    // A missing file is an empty list.
    explicit KnownPeers(std::string path);

    enum class Check { match, unknown, mismatch };
    // match if some line for `name` has `key`; mismatch if lines for `name` exist but none has it.
    Check check(std::string_view name, const PublicKey& key) const;
    // The key on the first line for `name`.
    std::optional<PublicKey> find(std::string_view name) const;
    // Appends "NAME KEYTEXT\n", creating the file (0600) and parent dirs (0700). Throws
    // IdentityError on I/O failure, or if `name` is empty, starts with '#' or contains whitespace.
    void add(std::string_view name, const PublicKey& key) const;

    struct Pin {
        std::string name;
        PublicKey key;
        std::size_t line = 0;
    };
    // Every entry, in file order.
    std::vector<Pin> list() const;
    // Removes every line for `name` (rewriting the file atomically: a new
    // file renamed over the old); returns how many there were.
    std::size_t remove(std::string_view name) const;

    const std::string& path() const noexcept;

private:
    std::string path_;
};

// config_dir() + "/known_relays".
std::string default_known_relays_path();
// config_dir() + "/known_endpoints".
std::string default_known_endpoints_path();

}  // namespace burrow::crypto
