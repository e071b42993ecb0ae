#pragma once
// Two io::Sessions, an initiator and an acceptor, over an in-memory
// connection (memory_stream.hpp), with handlers that record what each was
// told. The acceptor accepts every stream; every stream grants what it gets.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "io/session.hpp"
#include "tests/support/memory_stream.hpp"

namespace burrow::io::test {

using Bytes = std::vector<std::uint8_t>;

Bytes to_bytes(const std::string& text);
Bytes pattern(std::size_t n);

// What one stream was told. Grants what it receives at once.
class StreamRecord final : public StreamHandler {
public:
    StreamRecord(Session& session, proto::StreamId id) : session_(session), id_(id) {}
    void on_accepted(const std::optional<proto::PeerKey>&) override { accepted = true; }
    void on_rejected(proto::Errc code, const std::string& reason) override { rejected = {code, reason}; }
    void on_data(std::vector<std::uint8_t>&& bytes) override;
    void on_end_to_end() override { ++end_to_end; }
    void on_fin() override { fin = true; }
    void on_reset(proto::Errc code, const std::string& reason) override { reset = {code, reason}; }
    void on_writable() override { ++writable; }
    void on_session_closed(const std::string& why) override {
        ++session_closed_calls;
        session_closed = why;
    }

    bool accepted = false;
    std::optional<std::pair<proto::Errc, std::string>> rejected;
    Bytes data;
    int end_to_end = 0;
    bool fin = false;
    std::optional<std::pair<proto::Errc, std::string>> reset;
    int writable = 0;
    std::optional<std::string> session_closed;
    int session_closed_calls = 0;

private:
    Session& session_;
    proto::StreamId id_;
};

// What one session told its handler. `resumable`: as the acceptor, issues a
// ticket once the session is up (the relay's part).
class SessionRecord final : public SessionHandler {
public:
    explicit SessionRecord(bool resumable) : resumable_(resumable) {}
    void on_ready(Session& s) override;
    void on_stream_opened(Session& s, proto::StreamId id, const std::string& target,
                          const std::optional<proto::PeerKey>&) override;
    void on_goaway(Session&, proto::Errc code, const std::string& reason) override {
        goaways.emplace_back(code, reason);
    }
    void on_suspended(Session&, const std::string& why) override { suspended.push_back(why); }
    void on_resumed(Session&) override { ++resumed; }
    void on_closed(Session&, const std::string& why) override {
        ++closed_calls;
        closed = why;
    }

    bool ready = false;
    std::map<proto::StreamId, std::shared_ptr<StreamRecord>> streams;  // opened by the peer
    std::vector<std::string> targets;
    std::vector<std::pair<proto::Errc, std::string>> goaways;
    std::vector<std::string> suspended;
    int resumed = 0;
    std::optional<std::string> closed;
    int closed_calls = 0;
    bool refuse_streams = false;  // reject instead of accepting

private:
    bool resumable_;
};

proto::ResumeTicket lab_ticket();

// A stream the initiator opened, as each side sees it.
struct LabStream {
    proto::StreamId id = 0;
    std::shared_ptr<StreamRecord> near;  // the initiator's side
    std::shared_ptr<StreamRecord> far;   // the acceptor's side; null when it refused the stream
};

// How the lab connects the sessions: memory streams as they are, or link
// streams over them (io/link_stream.hpp) with new keys on each connection.
enum class LabTransport { plain, link };

struct SessionLab {
    explicit SessionLab(bool resumable = false, Liveness liveness = {}, LabTransport transport = LabTransport::plain);
    ~SessionLab();

    // Runs until `done()` (or a hang is caught); its result.
    template <class Done>
    bool run(Done done);
    bool up();  // runs until both sessions are ready (and the initiator holds its ticket, if resumable)

    // Opens a stream from the initiator and runs until the acceptor answered.
    LabStream open(const std::string& target);
    bool both_closed();  // runs until both sessions are closed
    // Queues all of `bytes` on stream `id` (the caller keeps within credit) and wakes the writer.
    static void send(Session& s, proto::StreamId id, const Bytes& bytes);

    // Puts both suspended sessions on a new memory connection; `wire` becomes its wire.
    bool resume_both();

    asio::io_context ctx;
    std::shared_ptr<MemoryWire> wire;
    std::shared_ptr<SessionRecord> initiator_events;
    std::shared_ptr<SessionRecord> acceptor_events;
    std::shared_ptr<Session> initiator;
    std::shared_ptr<Session> acceptor;
    LabTransport transport;
    int connections = 0;
};

bool run_lab(asio::io_context& ctx, const std::function<bool()>& done);

template <class Done>
bool SessionLab::run(Done done) {
    return run_lab(ctx, done);
}

}  // namespace burrow::io::test
