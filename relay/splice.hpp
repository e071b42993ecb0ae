#pragma once
// Joins a client's stream to an endpoint's stream inside the relay. Bytes
// from one side are handed to the other's mux as far as its credit allows;
// the rest waits here, and the sending side gets credit back only for bytes
// handed on. So what the relay holds per stream is bounded by the window it
// granted that side, never more.
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/session.hpp"
#include "proto/fifo.hpp"
#include "relay/splice_observer.hpp"
#include "relay/status.hpp"

namespace burrow::relay {

class Splice : public std::enable_shared_from_this<Splice> {
public:
    // `client` opened client_id and waits for an answer; `endpoint_id` was
    // just opened on `endpoint` toward the service.
    // The client's ACCEPT will carry `endpoint_key`, the endpoint's authenticated identity.
    // The stream and its bytes are counted in each of `counted`; `observer`, if any, sees them.
    static std::shared_ptr<Splice> start(std::shared_ptr<io::Session> client, proto::StreamId client_id,
                                         std::shared_ptr<io::Session> endpoint, proto::StreamId endpoint_id,
                                         std::string target, proto::PeerKey endpoint_key,
                                         std::vector<std::shared_ptr<Traffic>> counted = {},
                                         std::shared_ptr<SpliceObserver> observer = nullptr);

    Splice(std::shared_ptr<io::Session> client, proto::StreamId client_id, std::shared_ptr<io::Session> endpoint,
           proto::StreamId endpoint_id, std::string target);
    ~Splice();
    Splice(const Splice&) = delete;
    Splice& operator=(const Splice&) = delete;

    // Ends both halves with `code` (a reload that no longer grants the stream, say).
    void revoke(proto::Errc code, const std::string& reason);

private:
    class Half;
    struct Side {
        std::shared_ptr<io::Session> session;
        proto::StreamId id = 0;
        proto::Fifo<std::vector<std::uint8_t>> pending;  // received from this side, not yet handed on
        std::size_t front_offset = 0;
        std::size_t pending_bytes = 0;
        // Of pending_bytes, those that came before this side's E2E mark: once
        // they are handed on, the other side's half is marked too.
        std::optional<std::size_t> end_to_end_after;
        bool fin_in = false;    // this side sent FIN
        bool fin_out = false;   // FIN passed on to this side
        bool detached = false;
    };

    void on_accepted(int side);
    void on_rejected(int side, proto::Errc code, const std::string& reason);
    void on_data(int side, std::vector<std::uint8_t>&& bytes);
    void on_end_to_end(int side);
    void on_fin(int side);
    void on_reset(int side, proto::Errc code, const std::string& reason);
    void on_writable(int side);
    void on_session_closed(int side, const std::string& why);

    void forward(int from);          // hand pending bytes of `from` to the other side
    void abort_other(int side, proto::Errc code, const std::string& reason);
    void detach_all();
    void finish_if_done();

    std::array<Side, 2> sides_;  // 0: client, 1: endpoint
    std::string target_;
    proto::PeerKey endpoint_key_{};
    std::vector<std::shared_ptr<Traffic>> counted_;
    std::shared_ptr<SpliceObserver> observer_;
    bool accepted_ = false;
};

}  // namespace burrow::relay
