#include "crypto/known_peers.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>
#include <vector>

#include "crypto/key_files.hpp"

namespace burrow::crypto {
namespace {

constexpr std::size_t kMaxFileSize = 16 * 1024 * 1024;
constexpr std::string_view kSpace = " \t\r\n";

using Entry = KnownPeers::Pin;

std::vector<Entry> read_entries(const std::string& path) {
    std::vector<Entry> entries;
    const auto text = read_file(path, kMaxFileSize);
    if (!text) return entries;
    std::string_view rest = *text;
    for (std::size_t number = 1; !rest.empty(); ++number) {
        const auto eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);

        const auto start = line.find_first_not_of(kSpace);
        if (start == std::string_view::npos || line[start] == '#') continue;
        line.remove_prefix(start);
        const auto name_end = line.find_first_of(kSpace);
        const auto key = name_end == std::string_view::npos ? std::nullopt : PublicKey::parse(line.substr(name_end));
        if (!key) throw IdentityError(path + ":" + std::to_string(number) + ": not 'NAME KEY'");
        entries.push_back({std::string(line.substr(0, name_end)), *key, number});
    }
    return entries;
}

std::optional<std::string> without(std::string_view text, std::string_view name, std::size_t& removed) {
    std::string kept;
    std::string_view rest = text;
    while (!rest.empty()) {
        const auto eol = rest.find('\n');
        const std::string_view line = rest.substr(0, eol == std::string_view::npos ? rest.size() : eol + 1);
        rest.remove_prefix(line.size());
        const auto start = line.find_first_not_of(kSpace);
        const auto word = start == std::string_view::npos ? std::string_view{} : line.substr(start);
        if (word.substr(0, word.find_first_of(kSpace)) == name && !name.empty()) {
            ++removed;
            continue;
        }
        kept += line;
    }
    if (removed == 0) return std::nullopt;
    return kept;
}

}  // namespace

KnownPeers::KnownPeers(std::string path) : path_(std::move(path)) {}

KnownPeers::Check KnownPeers::check(std::string_view name, const PublicKey& key) const {
    Check result = Check::unknown;
    for (const auto& entry : read_entries(path_)) {
        if (entry.name != name) continue;
        if (entry.key == key) return Check::match;
        result = Check::mismatch;
    }
    return result;
}

std::optional<PublicKey> KnownPeers::find(std::string_view name) const {
    for (const auto& entry : read_entries(path_))
        if (entry.name == name) return entry.key;
    return std::nullopt;
}

void KnownPeers::add(std::string_view name, const PublicKey& key) const {
    if (name.empty() || name.front() == '#' || name.find_first_of(kSpace) != std::string_view::npos)
        throw IdentityError("cannot add '" + std::string(name) + "' to " + path_ + ": not a valid peer name");
    append_line(path_, std::string(name) + " " + key.to_text() + "\n");
}

std::vector<KnownPeers::Pin> KnownPeers::list() const { return read_entries(path_); }

std::size_t KnownPeers::remove(std::string_view name) const {
    std::size_t removed = 0;
    if (!read_file(path_, kMaxFileSize)) return 0;
    update_file(path_, kMaxFileSize, [&](const std::optional<std::string>& text) -> std::optional<std::string> {
        if (!text) return std::nullopt;
        return without(*text, name, removed);
    });
    return removed;
}

const std::string& KnownPeers::path() const noexcept { return path_; }

std::string default_known_relays_path() { return config_dir() + "/known_relays"; }

std::string default_known_endpoints_path() { return config_dir() + "/known_endpoints"; }

}  // namespace burrow::crypto
