// The control socket over real Unix sockets, each test under run_for() so a hang fails.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "io/control_socket.hpp"

namespace burrow::io {
namespace {

using namespace std::chrono_literals;

class ControlSocket : public ::testing::Test {
protected:
    ControlSocket() {
        std::string pattern = "/tmp/burrow-io-test-XXXXXX";
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        path_ = dir_ + "/relay.sock";
    }
    ~ControlSocket() override {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    // One request over the socket at `path`; rethrows what control_request threw.
    ControlReply ask(const std::string& request, const std::string& path = {}, std::chrono::milliseconds timeout = 5s) {
        std::exception_ptr failure;
        std::optional<ControlReply> reply;
        asio::co_spawn(ctx_, control_request(path.empty() ? path_ : path, request, timeout),
                       [&](std::exception_ptr e, ControlReply r) {
                           failure = e;
                           if (!e) reply = std::move(r);
                           ctx_.stop();
                       });
        ctx_.restart();
        ctx_.run_for(10s);
        if (failure) std::rethrow_exception(failure);
        if (!reply) throw std::runtime_error("no answer: hung");
        return *reply;
    }

    // What ask() threw, or "" if it got an answer.
    std::string ask_failure(const std::string& request, const std::string& path = {},
                            std::chrono::milliseconds timeout = 5s) {
        try {
            ask(request, path, timeout);
        } catch (const std::exception& e) {
            return e.what();
        }
        return "";
    }

    // A socket file whose process is gone: bound, then closed without unlinking it.
    void leave_stale_socket() {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
        ::close(fd);
    }

    // A listener at path_ that is no burrow server: it reads the request line
    // and answers `answer` (nothing at all if empty), then closes.
    void fake_server(std::string answer) {
        auto acceptor = std::make_shared<asio::local::stream_protocol::acceptor>(
            ctx_, asio::local::stream_protocol::endpoint(path_));
        asio::co_spawn(
            ctx_,
            [acceptor, answer = std::move(answer)]() -> awaitable<void> {
                auto socket = co_await acceptor->async_accept(use_awaitable);
                std::string request;
                co_await asio::async_read_until(socket, asio::dynamic_buffer(request), '\n', use_awaitable);
                if (!answer.empty()) co_await asio::async_write(socket, asio::buffer(answer), use_awaitable);
            },
            [](std::exception_ptr) {});
    }

    ControlRequests requests() {
        const auto reload = [this] { return ControlReply{reload_ok_, reload_ok_ ? "reloaded" : "f.toml:3: bad\nline"}; };
        return {{"reload", reload},
                {"boom", []() -> ControlReply { throw std::runtime_error("it broke"); }}};
    }

    asio::io_context ctx_;
    std::string dir_;
    std::string path_;
    bool reload_ok_ = true;
};

TEST_F(ControlSocket, AnswersEachRequestWithOneLine) {
    ControlServer server(ctx_.get_executor(), path_, requests());
    EXPECT_EQ(ask("reload").ok, true);
    EXPECT_EQ(ask("reload").text, "reloaded");
    reload_ok_ = false;
    const auto refused = ask("reload");
    EXPECT_FALSE(refused.ok);
    EXPECT_EQ(refused.text, "f.toml:3: bad line");  // one line on the wire
    const auto unknown = ask("status please");
    EXPECT_FALSE(unknown.ok);
    EXPECT_NE(unknown.text.find("unknown request 'status please' (known: boom, reload)"), std::string::npos)
        << unknown.text;
    const auto thrown = ask("boom");
    EXPECT_FALSE(thrown.ok);
    EXPECT_EQ(thrown.text, "it broke");
}

TEST_F(ControlSocket, TooLongARequestIsRefused) {
    ControlServer server(ctx_.get_executor(), path_, requests());
    const auto reply = ask(std::string(5000, 'x'));
    EXPECT_FALSE(reply.ok);
    EXPECT_NE(reply.text.find("longer than"), std::string::npos) << reply.text;
}

TEST_F(ControlSocket, FileIsPrivateAndRemovedAtTheEnd) {
    {
        ControlServer server(ctx_.get_executor(), path_, requests());
        struct stat st {};
        ASSERT_EQ(::stat(path_.c_str(), &st), 0);
        EXPECT_TRUE(S_ISSOCK(st.st_mode));
        EXPECT_EQ(st.st_mode & 0777, 0600u);
    }
    EXPECT_FALSE(std::filesystem::exists(path_));
    EXPECT_THROW(ask("reload"), ControlUnreachable);
}

TEST_F(ControlSocket, StaleFileOfAKilledProcessIsReplaced) {
    leave_stale_socket();
    EXPECT_THROW(ask("reload"), ControlUnreachable);  // nobody listens there
    ControlServer server(ctx_.get_executor(), path_, requests());
    EXPECT_TRUE(ask("reload").ok);
}

TEST_F(ControlSocket, LiveSocketOfAnotherProcessIsNotTaken) {
    ControlServer first(ctx_.get_executor(), path_, requests());
    EXPECT_THROW(ControlServer(ctx_.get_executor(), path_, requests()), ControlSocketInUse);
    EXPECT_TRUE(ask("reload").ok);  // still the first one's
}

TEST_F(ControlSocket, OtherFilesAreLeftAlone) {
    std::ofstream(path_) << "not a socket";
    EXPECT_THROW(ControlServer(ctx_.get_executor(), path_, requests()), std::runtime_error);
    EXPECT_TRUE(std::filesystem::is_regular_file(path_));
    EXPECT_THROW(ControlServer(ctx_.get_executor(), dir_ + "/" + std::string(120, 'a'), requests()),
                 std::runtime_error);
}

TEST_F(ControlSocket, SilentClientHoldsNobodyUp) {
    ControlServer server(ctx_.get_executor(), path_, requests());
    asio::local::stream_protocol::socket silent(ctx_);
    silent.connect(asio::local::stream_protocol::endpoint(path_));  // sends nothing
    EXPECT_TRUE(ask("reload").ok);
}

TEST_F(ControlSocket, AServerThatClosesWithoutAnAnswerIsAnError) {
    fake_server("");
    EXPECT_EQ(ask_failure("reload"), "control socket " + path_ + ": closed without an answer");
}

TEST_F(ControlSocket, AnAnswerThatIsNeitherOkNorErrorIsAnError) {
    fake_server("maybe later\n");
    EXPECT_EQ(ask_failure("reload"), "control socket " + path_ + ": unexpected answer 'maybe later'");
}

TEST_F(ControlSocket, AServerThatNeverAnswersRunsIntoTheDeadline) {
    asio::local::stream_protocol::acceptor never_accepts(ctx_, asio::local::stream_protocol::endpoint(path_));
    EXPECT_EQ(ask_failure("reload", path_, 1s), "control socket " + path_ + ": no answer within 1 s");
}

TEST_F(ControlSocket, ARequestToAPathTooLongFailsBeforeConnecting) {
    const std::string path = dir_ + "/" + std::string(120, 'a');
    EXPECT_EQ(ask_failure("reload", path),
              "control socket " + path + ": path too long for a Unix socket (107 bytes at most)");
}

}  // namespace
}  // namespace burrow::io
