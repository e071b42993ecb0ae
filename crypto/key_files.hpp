#pragma once
// File handling shared by identity and known-peers files: private directories,
// exclusive creation, bounded reads. Errors are IdentityError naming the path.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace burrow::crypto {

// Creates every missing parent directory of `path` with mode 0700; existing ones are left alone.
void create_parent_dirs(const std::string& path);

// Writes `content` to a new file at `path` with exactly `mode`. With `exclusive`, fails if
// `path` exists (O_EXCL) and never follows a symlink there; without, truncates.
// Removes the file again if the write fails part way.
void write_new_file(const std::string& path, std::string_view content, unsigned mode, bool exclusive);

// Appends `content` to `path`, creating it (mode 0600) and its parent dirs (0700).
// If the file is non-empty and lacks a final newline, one is written first.
void append_line(const std::string& path, std::string_view content);

// The whole of a regular file of at most `max_size` bytes; nullopt if it does not exist.
// `mode_out`, if given, receives the file's permission bits.
std::optional<std::string> read_file(const std::string& path, std::size_t max_size, unsigned* mode_out = nullptr);

// "STRERROR" for errno `err`, for messages.
std::string error_text(int err);

}  // namespace burrow::crypto
