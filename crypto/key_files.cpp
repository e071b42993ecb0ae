#include "crypto/key_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "crypto/identity.hpp"

namespace burrow::crypto {
namespace {

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

void append_line(const std::string& path, std::string_view content) {
    create_parent_dirs(path);
    Fd fd(::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (fd.get() < 0) fail("cannot open", path, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail("cannot stat", path, errno);
    if (st.st_size > 0) {
        char last = '\n';
        if (::pread(fd.get(), &last, 1, st.st_size - 1) != 1) fail("cannot read", path, errno);
        if (last != '\n' && !write_all(fd.get(), "\n")) fail("cannot write", path, errno);
    }
    if (!write_all(fd.get(), content) || fd.close() != 0) fail("cannot write", path, errno);
}

std::optional<std::string> read_file(const std::string& path, std::size_t max_size, unsigned* mode_out) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::nullopt;
        fail("cannot read", path, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail("cannot stat", path, errno);
    if (!S_ISREG(st.st_mode)) throw IdentityError("'" + path + "' is not a regular file");
    if (mode_out) *mode_out = st.st_mode & 07777;
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
