#pragma once
// Public ports on the relay, the Oray way (`[[expose]]` in relay.toml): a
// TCP port that opens a stream to one target for every connection from an
// address its `from` list admits, so a machine without burrow can run
// `ssh -p 2222 relay-host`. Off unless configured; apply() adds and removes
// ports on reload without touching the others.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/asio.hpp"
#include "io/dialer.hpp"
#include "relay/source_filter.hpp"

namespace burrow::relay {

struct ExposeRule {
    io::HostPort bind;    // where the relay listens
    std::string target;   // "endpoint/service"
    SourceFilter from;
    std::string describe() const { return "port " + bind.str() + " -> " + target; }
};

class ExposedPorts {
public:
    // `open` gets each admitted connection.
    using Open = std::function<void(io::tcp::socket, const ExposeRule&)>;
    ExposedPorts(io::asio::any_io_executor ex, Open open);
    ~ExposedPorts();

    // Listens on the rules' ports that are new, closes those no longer listed,
    // and gives the others their new target and `from`. Returns "" or, naming
    // them, the new ports that could not be bound (the rest is applied).
    std::string apply(const std::vector<ExposeRule>& rules);
    void close_all();
    std::uint64_t refused() const noexcept { return refused_; }

private:
    struct Port;
    io::awaitable<void> accept_loop(std::shared_ptr<Port> port);

    io::asio::any_io_executor ex_;
    Open open_;
    std::map<std::string, std::shared_ptr<Port>> ports_;  // by bind address
    std::uint64_t refused_ = 0;
};

}  // namespace burrow::relay
