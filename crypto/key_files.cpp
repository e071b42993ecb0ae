#include "crypto/key_files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "crypto/identity.hpp"

namespace burrow::crypto {
namespace {

constexpr std::size_t kMaxAppendFile = 16 * 1024 * 1024;  // known_* and allowed_clients

// Closes the descriptor on scope exit.
class Fd {
public:
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const noexcept { return fd_; }
    // Closes now, reporting the error close() gives (it can be the first sign of a failed write).
    int close() noexcept {
        const int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }

private:
    int fd_;
};

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
    throw IdentityError(what + " '" + path + "': " + error_text(err));
}

bool write_all(int fd, std::string_view data) noexcept {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

std::string error_text(int err) { return std::strerror(err); }

std::string mode_text(unsigned mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", mode & 07777u);
    return buf;
}

void create_parent_dirs(const std::string& path) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::filesystem::path prefix;
    for (const auto& part : parent) {
        prefix /= part;
        if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) fail("cannot create directory", prefix, errno);
    }
}

void write_new_file(const std::string& path, std::string_view content, unsigned mode, bool exclusive) {
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
    Fd fd(::open(path.c_str(), flags, 0600));
    if (fd.get() < 0) {
        if (errno == EEXIST) throw IdentityError("'" + path + "' already exists: not overwriting it");
        fail("cannot create", path, errno);
    }
    if (::fchmod(fd.get(), mode) != 0 || !write_all(fd.get(), content) || ::fsync(fd.get()) != 0 || fd.close() != 0) {
        const int err = errno;
        ::unlink(path.c_str());
        fail("cannot write", path, err);
    }
}

void replace_file(const std::string& path, std::string_view content, unsigned mode) {
    create_parent_dirs(path);
    const std::string temp = path + ".new." + std::to_string(::getpid());
    ::unlink(temp.c_str());  // left by a process killed half way (pids are reused)
    write_new_file(temp, content, mode, true);
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        fail("cannot replace", path, err);
    }
}

FolderLock::FolderLock(const std::string& path) : fd_(-1) {
    std::string folder = std::filesystem::path(path).parent_path();
    if (folder.empty()) folder = ".";
    fd_ = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) fail("cannot open folder", folder, errno);
    while (::flock(fd_, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd_);
        fail("cannot lock folder", folder, err);
    }
}

FolderLock::~FolderLock() { ::close(fd_); }  // closing releases the lock

void update_file(const std::string& path, std::size_t max_size,
                 const std::function<std::optional<std::string>(const std::optional<std::string>&)>& change) {
    create_parent_dirs(path);
    FolderLock lock(path);
    const auto old = read_file(path, max_size);
    if (const auto fresh = change(old)) replace_file(path, *fresh, 0600);
}

void append_line(const std::string& path, std::string_view content) {
    update_file(path, kMaxAppendFile, [content](const std::optional<std::string>& old) {
        std::string text = old.value_or("");
        if (!text.empty() && text.back() != '\n') text += '\n';
        text += content;
        return std::optional<std::string>(std::move(text));
    });
}

std::string secure_private_folder(const std::string& folder) {
    struct stat st {};
    if (::stat(folder.c_str(), &st) != 0) {
        if (errno == ENOENT) return "";  // made 0700 when first written
        fail("cannot stat", folder, errno);
    }
    const unsigned mode = st.st_mode & 07777;
    if (!S_ISDIR(st.st_mode)) throw IdentityError("'" + folder + "' is not a folder");
    if (st.st_uid != ::geteuid())
        throw IdentityError("bad owner or permissions on " + folder + ": it belongs to uid " +
                            std::to_string(st.st_uid) + ", not to you (uid " + std::to_string(::geteuid()) +
                            "); burrow keeps its private key there");
    if ((mode & 022) != 0)
        throw IdentityError("bad owner or permissions on " + folder + " (" + mode_text(mode) +
                            "): others may write there, and burrow keeps its private key there; chmod 700 " + folder);
    if ((mode & 077) == 0) return "";
    if (::chmod(folder.c_str(), 0700) != 0) fail("cannot chmod 700", folder, errno);
    return folder + " was " + mode_text(mode) + ", readable by others; burrow made it 0700 (it holds the private key)";
}

std::optional<std::string> read_file(const std::string& path, std::size_t max_size, unsigned* mode_out,
                                     unsigned* uid_out) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::nullopt;
        fail("cannot read", path, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail("cannot stat", path, errno);
    if (!S_ISREG(st.st_mode)) throw IdentityError("'" + path + "' is not a regular file");
    if (mode_out) *mode_out = st.st_mode & 07777;
    if (uid_out) *uid_out = st.st_uid;
    // Sized once and never grown, so secret contents are not left behind in freed buffers;
    // sized by the file, not by the limit, so small files stay cheap to read.
    const auto expected = static_cast<std::size_t>(std::max<off_t>(st.st_size, 0));
    std::string out(std::min(max_size, expected + 4096) + 1, '\0');
    std::size_t used = 0;
    while (used < out.size()) {
        const ssize_t n = ::read(fd.get(), out.data() + used, out.size() - used);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot read", path, errno);
        }
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    if (used > max_size) {
        sodium_memzero(out.data(), out.size());
        throw IdentityError("'" + path + "' is too large");
    }
    out.resize(used);
    return out;
}

}  // namespace burrow::crypto
