#pragma once
// Identities on disk for the roles and the keygen/id subcommands.
#include <string>

#include "crypto/identity.hpp"

namespace burrow::app {

// Loads the identity at `path`; with `path` empty, the default one, created
// (and announced on stderr) if it does not exist yet.
crypto::Identity load_or_create_identity(const std::string& path);

// Parses a public key from a config value or flag; `where` names its origin in the error.
crypto::PublicKey parse_public_key(const std::string& text, const std::string& where);

}  // namespace burrow::app
