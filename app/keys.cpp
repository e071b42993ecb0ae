#include "app/keys.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "crypto/key_files.hpp"

namespace burrow::app {

namespace {

// burrow's own folder (BURROW_HOME, ~/.config/burrow), checked before its key is used.
void check_own_folder() {
    if (const auto changed = crypto::secure_private_folder(crypto::config_dir()); !changed.empty())
        spdlog::warn("{}", changed);
}

}  // namespace

crypto::Identity load_or_create_identity(const std::string& path) {
    if (!path.empty()) return crypto::Identity::load(path);
    check_own_folder();
    const std::string fallback = crypto::default_identity_path();
    if (!std::filesystem::exists(fallback)) {
        const auto identity = crypto::Identity::generate();
        identity.save(fallback, "burrow");
        spdlog::warn("created a new identity {} ({}); its public key is in {}.pub", fallback,
                     identity.public_key().fingerprint(), fallback);
        return identity;
    }
    return crypto::Identity::load(fallback);
}

crypto::PublicKey parse_public_key(const std::string& text, const std::string& where) {
    auto key = crypto::PublicKey::parse(text);
    if (!key) throw ConfigError(where + ": '" + text + "' is not a burrow public key (burrow-ed25519 BASE64)");
    return *key;
}

int run_keygen(const KeyArgs& args) {
    if (args.file.empty()) check_own_folder();
    const std::string path = args.file.empty() ? crypto::default_identity_path() : args.file;
    const auto identity = crypto::Identity::generate();
    if (std::filesystem::exists(std::filesystem::symlink_status(path))) {
        if (!args.force)
            throw std::runtime_error(path + " already exists: not overwriting it (burrow keygen --force replaces it; "
                                            "every relay config and pin that lists its key must then change)");
        std::string old = "an unreadable key";
        try {
            old = crypto::Identity::load(path).public_key().fingerprint();
        } catch (const std::exception&) {
        }
        // Written beside it, then renamed over it: a failure half way leaves the old key whole.
        const std::string fresh = path + ".new";
        std::filesystem::remove(fresh);
        std::filesystem::remove(fresh + ".pub");
        identity.save(fresh, args.comment);
        std::filesystem::rename(fresh + ".pub", path + ".pub");
        std::filesystem::rename(fresh, path);
        std::printf("Replaced %s (it was %s).\n", path.c_str(), old.c_str());
    } else {
        identity.save(path, args.comment);
    }
    std::printf("Your identity is in %s (keep it private).\n", path.c_str());
    std::printf("Public key, also in %s.pub, to paste into configs:\n%s\n", path.c_str(),
                identity.public_key().to_text().c_str());
    std::printf("Fingerprint: %s\n", identity.public_key().fingerprint().c_str());
    return 0;
}

int run_id(const KeyArgs& args) {
    if (args.file.empty()) check_own_folder();
    const auto identity = crypto::Identity::load(args.file.empty() ? crypto::default_identity_path() : args.file);
    std::printf("%s\n", args.fingerprint ? identity.public_key().fingerprint().c_str()
                                         : identity.public_key().to_text().c_str());
    return 0;
}

}  // namespace burrow::app
