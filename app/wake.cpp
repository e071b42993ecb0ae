// `burrow wake MAC`: a Wake-on-LAN magic packet, as `wakeonlan` sends it.
#include <chrono>
#include <charconv>
#include <cstdio>


#include "app/commands.hpp"
#include "io/wake_sender.hpp"
#include "proto/wake.hpp"

namespace burrow::app {

namespace {

constexpr int kDefaultWaitSeconds = 120;

int wake_by_name(const ClientArgs& client, const WakeArgs& args) {
    if (!args.broadcast.empty() && args.broadcast != WakeArgs{}.broadcast)
        throw UsageError("--broadcast is for a MAC address; an endpoint is woken on its own LAN");
    std::optional<std::chrono::seconds> wait;
    if (args.wait) {
        int seconds = kDefaultWaitSeconds;
        if (!args.wait->empty()) {
            const auto [end, ec] = std::from_chars(args.wait->data(), args.wait->data() + args.wait->size(), seconds);
            if (ec != std::errc{} || end != args.wait->data() + args.wait->size() || seconds <= 0)
                throw UsageError("--wait '" + *args.wait + "': expected a number of seconds");
        }
        wait = std::chrono::seconds(seconds);
    }
    return run_wake_endpoint(client, args.target, wait);
}

}  // namespace

int run_wake(const ClientArgs& client, const WakeArgs& args) {
    const auto mac = proto::parse_mac(args.target);
    if (!mac && proto::is_valid_name(args.target)) return wake_by_name(client, args);
    if (!mac)
        throw UsageError("'" + args.target + "' is not a MAC address: expected " + std::string(proto::kMacForm) +
                         " (or aa-bb-cc-dd-ee-ff, aabbccddeeff), or an endpoint's name");
    std::vector<std::uint8_t> password;
    if (!args.password.empty()) {
        auto parsed = proto::parse_secureon(args.password);
        if (!parsed)
            throw UsageError("--password '" + args.password + "' is not a SecureOn password: expected " +
                             std::string(proto::kPasswordForm));
        password = std::move(*parsed);
    }
    if (args.port == 0) throw UsageError("--port must be 1..65535");
    io::send_wake_packet(args.broadcast, args.port, proto::magic_packet(*mac, password));
    std::printf("sent a magic packet for %s to %s:%u%s\n", proto::format_mac(*mac).c_str(), args.broadcast.c_str(),
                static_cast<unsigned>(args.port), password.empty() ? "" : " with a SecureOn password");
    return 0;
}

}  // namespace burrow::app
