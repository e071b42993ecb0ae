// crypto/key_files: files replaced in one step without following symlinks,
// appends from several processes at once, and burrow's own folder.
#include "crypto/key_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "crypto/identity.hpp"
#include "temp_dir.hpp"

namespace burrow::crypto {
namespace {

using test::TempDir;

std::string contents(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

unsigned mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
}

TEST(ReplaceFile, ReplacesASymlinkInsteadOfWritingThroughIt) {
    TempDir dir;
    const std::string victim = dir / "victim";
    std::ofstream(victim) << "keep me\n";
    std::filesystem::create_symlink(victim, dir / "id.pub");
    replace_file(dir / "id.pub", "burrow-ed25519 AAAA\n", 0644);
    EXPECT_EQ(contents(victim), "keep me\n");
    EXPECT_FALSE(std::filesystem::is_symlink(dir / "id.pub"));
    EXPECT_EQ(contents(dir / "id.pub"), "burrow-ed25519 AAAA\n");
    EXPECT_EQ(mode_of(dir / "id.pub"), 0644u);
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 2);  // no temporary left
}

TEST(AppendLine, FollowsNoSymlinkAndAddsTheMissingNewline) {
    TempDir dir;
    const std::string victim = dir / "victim";
    std::ofstream(victim) << "a";
    std::filesystem::create_symlink(victim, dir / "known");
    append_line(dir / "known", "b\n");
    EXPECT_EQ(contents(victim), "a");
    EXPECT_EQ(contents(dir / "known"), "a\nb\n");  // read through the link, written in its place
    EXPECT_EQ(mode_of(dir / "known"), 0600u);
}

TEST(AppendLine, ProcessesAppendingAtOnceLoseNoLine) {
    TempDir dir;
    const std::string path = dir / "known_endpoints";
    constexpr int kProcesses = 8, kLines = 40;
    for (int p = 0; p < kProcesses; ++p) {
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            for (int i = 0; i < kLines; ++i)
                append_line(path, "p" + std::to_string(p) + "-" + std::to_string(i) + " burrow-ed25519 AAAA\n");
            ::_exit(0);
        }
    }
    for (int p = 0; p < kProcesses; ++p) {
        int status = 0;
        ASSERT_GT(::wait(&status), 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    std::istringstream lines(contents(path));
    std::set<std::string> seen;
    for (std::string line; std::getline(lines, line);) {
        EXPECT_TRUE(line.ends_with(" burrow-ed25519 AAAA")) << line;
        EXPECT_TRUE(seen.insert(line).second) << "twice: " << line;
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(kProcesses * kLines));
}

TEST(SecurePrivateFolder, AFolderOthersMayReadIsMadePrivate) {
    TempDir dir;
    ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
    const auto changed = secure_private_folder(dir.path());
    EXPECT_NE(changed.find("was 0755"), std::string::npos) << changed;
    EXPECT_EQ(mode_of(dir.path()), 0700u);
    EXPECT_EQ(secure_private_folder(dir.path()), "");
}

TEST(SecurePrivateFolder, AFolderOthersMayWriteIsRefused) {
    TempDir dir;
    ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
    try {
        secure_private_folder(dir.path());
        FAIL() << "accepted a 0777 folder";
    } catch (const IdentityError& e) {
        EXPECT_NE(std::string(e.what()).find("bad owner or permissions on " + dir.path() + " (0777)"),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("chmod 700 " + dir.path()), std::string::npos) << e.what();
    }
    EXPECT_EQ(mode_of(dir.path()), 0777u);  // refused, not changed behind the user's back
}

TEST(SecurePrivateFolder, AFolderOfAnotherUserIsRefused) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a folder away";
    TempDir dir;
    ASSERT_EQ(::chown(dir.path().c_str(), 65534, 65534), 0);
    EXPECT_THROW(secure_private_folder(dir.path()), IdentityError);
}

TEST(SecurePrivateFolder, AMissingFolderIsLeftToBeMadeLater) {
    TempDir dir;
    EXPECT_EQ(secure_private_folder(dir / "not-yet"), "");
}

TEST(IdentityLoad, AKeyOfAnotherUserIsRefused) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a key away";
    TempDir dir;
    const std::string path = dir / "id_ed25519";
    Identity::generate().save(path, "test");
    ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
    try {
        (void)Identity::load(path);
        FAIL() << "loaded a key owned by uid 65534";
    } catch (const IdentityError& e) {
        EXPECT_NE(std::string(e.what()).find("bad owner on '" + path + "': it belongs to uid 65534"), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace burrow::crypto
