#include "tests/support/session_lab.hpp"

#include <stdexcept>

#include "crypto/link_keys.hpp"
#include "io/link_stream.hpp"
#include "tests/support/run_until.hpp"

namespace burrow::io::test {

Bytes to_bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

Bytes pattern(std::size_t n) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
    return out;
}

namespace {

crypto::E2eSecret link_key(int connection, bool from_initiator) {
    std::array<std::uint8_t, crypto::E2eSecret::kSize> bytes;
    bytes.fill(static_cast<std::uint8_t>(connection * 2 + (from_initiator ? 1 : 0)));
    return crypto::E2eSecret(bytes);
}

// One end of connection number `connection`, as the lab's transport says.
std::unique_ptr<ByteStream> end_of(std::unique_ptr<ByteStream> stream, LabTransport transport, int connection,
                                   bool initiator) {
    if (transport == LabTransport::plain) return stream;
    crypto::LinkKeys keys{crypto::RecordSealer(crypto::Cipher::chacha20poly1305, link_key(connection, initiator)),
                          crypto::RecordOpener(crypto::Cipher::chacha20poly1305, link_key(connection, !initiator))};
    return make_link_stream(std::move(stream), std::move(keys));
}

}  // namespace

proto::ResumeTicket lab_ticket() {
    proto::ResumeTicket t;
    t.id.fill(3);
    t.secret.fill(4);
    return t;
}

void StreamRecord::on_data(std::vector<std::uint8_t>&& bytes) {
    data.insert(data.end(), bytes.begin(), bytes.end());
    session_.mux().grant(id_, bytes.size(), proto::Clock::now());
    session_.flush();
}

void SessionRecord::on_ready(Session& s) {
    ready = true;
    if (!resumable_) return;
    s.enable_resume(lab_ticket());
    s.mux().send_control(lab_ticket());
    s.flush();
}

void SessionRecord::on_stream_opened(Session& s, proto::StreamId id, const std::string& target,
                                     const std::optional<proto::PeerKey>&) {
    targets.push_back(target);
    if (refuse_streams) {
        s.mux().reject(id, proto::Errc::unknown_service, "not here");
        s.flush();
        return;
    }
    auto record = std::make_shared<StreamRecord>(s, id);
    streams[id] = record;
    s.attach(id, record);
    s.mux().accept(id);
    s.flush();
}

SessionLab::SessionLab(bool resumable, Liveness liveness, LabTransport transport)
    : initiator_events(std::make_shared<SessionRecord>(false)),
      acceptor_events(std::make_shared<SessionRecord>(resumable)),
      transport(transport) {
    auto link = make_memory_stream_pair(ctx.get_executor());
    wire = link.wire;
    ++connections;
    initiator = std::make_shared<Session>(ctx.get_executor(), end_of(std::move(link.a), transport, connections, true),
                                          proto::Role::initiator, proto::MuxLimits{}, initiator_events, liveness);
    acceptor = std::make_shared<Session>(ctx.get_executor(), end_of(std::move(link.b), transport, connections, false),
                                         proto::Role::acceptor, proto::MuxLimits{}, acceptor_events, liveness);
    initiator->start();
    acceptor->start();
}

SessionLab::~SessionLab() {
    initiator->close("the test is over");
    acceptor->close("the test is over");
    ctx.poll();
}

bool run_lab(asio::io_context& ctx, const std::function<bool()>& done) { return run_until(ctx, done); }

bool SessionLab::up() {
    return run([&] {
        if (!initiator_events->ready || !acceptor_events->ready) return false;
        return !acceptor->ticket() || initiator->ticket().has_value();
    });
}

LabStream SessionLab::open(const std::string& target) {
    LabStream s;
    s.id = initiator->mux().open(target);
    s.near = std::make_shared<StreamRecord>(*initiator, s.id);
    initiator->attach(s.id, s.near);
    initiator->flush();
    const auto& near = *s.near;
    run([&] { return near.accepted || near.rejected || near.session_closed; });
    const auto it = acceptor_events->streams.find(s.id);
    if (it != acceptor_events->streams.end()) s.far = it->second;
    return s;
}

bool SessionLab::both_closed() {
    return run([&] { return initiator->closed() && acceptor->closed(); });
}

void SessionLab::send(Session& s, proto::StreamId id, const Bytes& bytes) {
    const std::size_t taken = s.mux().send(id, bytes);
    if (taken != bytes.size()) throw std::runtime_error("session lab: the stream took only part of the bytes");
    s.flush();
}

bool SessionLab::resume_both() {
    auto link = make_memory_stream_pair(ctx.get_executor());
    wire = link.wire;
    const std::uint64_t initiator_has = initiator->received_total();
    const std::uint64_t acceptor_has = acceptor->received_total();
    ++connections;
    const bool a = initiator->resume(end_of(std::move(link.a), transport, connections, true), acceptor_has);
    const bool b = acceptor->resume(end_of(std::move(link.b), transport, connections, false), initiator_has);
    return a && b;
}

}  // namespace burrow::io::test
