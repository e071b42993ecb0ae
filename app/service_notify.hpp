#pragma once
// Readiness for a service manager: systemd's sd_notify protocol, without
// libsystemd. Type=notify units hear READY=1 when the relay listens and when
// the endpoint has registered, STOPPING=1 when either starts to drain.
#include <string_view>

namespace burrow::app {

// Sends `state` ("READY=1", "STOPPING=1", "STATUS=...", newline-separated) as
// one datagram to the Unix socket named by $NOTIFY_SOCKET: a path, or an
// abstract name when it starts with '@'. Does nothing without NOTIFY_SOCKET.
// Never throws; a failure is logged and returns false.
bool notify_service_manager(std::string_view state);

}  // namespace burrow::app
