#pragma once
// File handling shared by identity and known-peers files: private directories,
// exclusive creation, atomic replacement under a lock, bounded reads. Errors
// are IdentityError naming the path.
#include <cstddef>
#include <functional>
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

// Puts `content` at `path` with `mode` in one step: written to a new file
// beside it (never following a symlink), then renamed over it, so a reader
// sees the old file or the new one, and a symlink at `path` is replaced, not
// written through. Creates missing parent dirs (0700).
void replace_file(const std::string& path, std::string_view content, unsigned mode);

// Holds an exclusive flock(2) on `path`'s folder while it lives, so that
// read-change-replace cycles of burrow processes on files there do not
// interleave.
class FolderLock {
public:
    explicit FolderLock(const std::string& path);
    ~FolderLock();
    FolderLock(const FolderLock&) = delete;
    FolderLock& operator=(const FolderLock&) = delete;

private:
    int fd_;
};

// Under a FolderLock: reads `path` (nullopt if missing), and if `change`
// returns new contents, replace_file()s it with them (mode 0600).
void update_file(const std::string& path, std::size_t max_size,
                 const std::function<std::optional<std::string>(const std::optional<std::string>&)>& change);

// Appends `content` to `path` with update_file, creating it (mode 0600) and its
// parent dirs (0700). If the file is non-empty and lacks a final newline, one
// is written first.
void append_line(const std::string& path, std::string_view content);

// The whole of a regular file of at most `max_size` bytes; nullopt if it does not exist.
// `mode_out` and `uid_out`, if given, receive the file's permission bits and owner.
std::optional<std::string> read_file(const std::string& path, std::size_t max_size, unsigned* mode_out = nullptr,
                                     unsigned* uid_out = nullptr);

// Checks burrow's own folder (it holds the private key, pins and client
// lists): it must belong to this user and no one else may write to it (ssh's
// rule, in ssh's words); a folder others may only read or enter is made 0700.
// Returns what it changed ("" if nothing), for the caller to log.
std::string secure_private_folder(const std::string& folder);

// "STRERROR" for errno `err`, for messages.
std::string error_text(int err);

// "0644" for permission bits `mode`.
std::string mode_text(unsigned mode);

}  // namespace burrow::crypto
