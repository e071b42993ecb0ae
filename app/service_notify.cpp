#include "app/service_notify.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace burrow::app {

bool notify_service_manager(std::string_view state) {
    const char* env = std::getenv("NOTIFY_SOCKET");
    if (env == nullptr || *env == '\0') return true;
    const std::string name = env;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if ((name[0] != '/' && name[0] != '@') || name.size() >= sizeof(addr.sun_path)) {
        spdlog::warn("NOTIFY_SOCKET '{}' is not a socket path or '@name': not telling the service manager", name);
        return false;
    }
    std::memcpy(addr.sun_path, name.data(), name.size());
    socklen_t length = sizeof(sa_family_t) + name.size();
    if (name[0] == '@') addr.sun_path[0] = '\0';  // abstract: no trailing NUL counted
    else length += 1;

    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        spdlog::warn("telling the service manager '{}': socket: {}", state, std::strerror(errno));
        return false;
    }
    const auto sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
                               length);
    const int err = errno;
    ::close(fd);
    if (sent < 0) {
        spdlog::warn("telling the service manager '{}' on {}: {}", state, name, std::strerror(err));
        return false;
    }
    return true;
}

}  // namespace burrow::app
