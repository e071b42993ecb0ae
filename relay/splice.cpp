#include "relay/splice.hpp"

#include <spdlog/spdlog.h>

namespace burrow::relay {

class Splice::Half final : public io::StreamHandler {
public:
    Half(std::shared_ptr<Splice> owner, int side) : owner_(std::move(owner)), side_(side) {}
    void on_accepted(const std::optional<proto::PeerKey>&) override { owner_->on_accepted(side_); }
    void on_rejected(proto::Errc c, const std::string& r) override { owner_->on_rejected(side_, c, r); }
    void on_data(std::vector<std::uint8_t>&& b) override { owner_->on_data(side_, std::move(b)); }
    void on_end_to_end() override { owner_->on_end_to_end(side_); }
    void on_fin() override { owner_->on_fin(side_); }
    void on_reset(proto::Errc c, const std::string& r) override { owner_->on_reset(side_, c, r); }
    void on_writable() override { owner_->on_writable(side_); }
    void on_session_closed(const std::string& why) override { owner_->on_session_closed(side_, why); }

private:
    std::shared_ptr<Splice> owner_;
    int side_;
};

Splice::Splice(std::shared_ptr<io::Session> client, proto::StreamId client_id, std::shared_ptr<io::Session> endpoint,
               proto::StreamId endpoint_id, std::string target)
    : target_(std::move(target)) {
    sides_[0].session = std::move(client);
    sides_[0].id = client_id;
    sides_[1].session = std::move(endpoint);
    sides_[1].id = endpoint_id;
}

Splice::~Splice() {
    for (const auto& t : counted_) --t->streams_open;
}

std::shared_ptr<Splice> Splice::start(std::shared_ptr<io::Session> client, proto::StreamId client_id,
                                      std::shared_ptr<io::Session> endpoint, proto::StreamId endpoint_id,
                                      std::string target, proto::PeerKey endpoint_key,
                                      std::vector<std::shared_ptr<Traffic>> counted,
                                      std::shared_ptr<SpliceObserver> observer) {
    auto splice = std::make_shared<Splice>(client, client_id, endpoint, endpoint_id, std::move(target));
    splice->endpoint_key_ = endpoint_key;
    splice->counted_ = std::move(counted);
    splice->observer_ = std::move(observer);
    for (const auto& t : splice->counted_) {
        ++t->streams_open;
        ++t->streams_opened;
    }
    client->attach(client_id, std::make_shared<Half>(splice, 0));
    endpoint->attach(endpoint_id, std::make_shared<Half>(splice, 1));
    endpoint->flush();
    return splice;
}

void Splice::revoke(proto::Errc code, const std::string& reason) {
    auto self = shared_from_this();
    for (int side = 0; side < 2; ++side) {
        Side& s = sides_[side];
        if (s.detached) continue;
        if (side == 0 && !accepted_)
            s.session->mux().reject(s.id, code, reason);
        else
            s.session->mux().reset(s.id, code, reason);
        s.session->flush();
    }
    detach_all();
}

void Splice::on_accepted(int side) {
    if (side != 1 || accepted_) return;
    accepted_ = true;
    auto& c = sides_[0];
    proto::PeerKey key = endpoint_key_;
    if (observer_) observer_->on_accept(target_, key);
    c.session->mux().accept(c.id, key);
    c.session->flush();
}

void Splice::on_rejected(int side, proto::Errc code, const std::string& reason) {
    sides_[side].detached = true;  // the session drops a rejected stream's handler itself
    auto& c = sides_[0];
    if (side == 1 && !c.detached) {
        spdlog::info("stream {} from {}: refused by the endpoint: {}", target_, c.session->peer(), reason);
        c.session->mux().reject(c.id, code, reason);
        c.session->flush();
        c.detached = true;
        c.session->detach(c.id);
    }
}

void Splice::on_data(int side, std::vector<std::uint8_t>&& bytes) {
    if (observer_) observer_->on_data(target_, side, bytes);
    sides_[side].pending_bytes += bytes.size();
    sides_[side].pending.push_back(std::move(bytes));
    forward(side);
}

void Splice::on_end_to_end(int side) {
    Side& s = sides_[side];  // the mux tells this once per stream
    s.end_to_end_after = s.pending_bytes;
    forward(side);
}

void Splice::on_fin(int side) {
    sides_[side].fin_in = true;
    forward(side);
}

void Splice::on_writable(int side) { forward(1 - side); }

void Splice::on_reset(int side, proto::Errc code, const std::string& reason) {
    sides_[side].detached = true;
    abort_other(side, code, reason);
}

void Splice::on_session_closed(int side, const std::string& why) {
    sides_[side].detached = true;
    const std::string reason = side == 0 ? "the client went away" : "the endpoint went offline (" + why + ")";
    abort_other(side, proto::Errc::session_closed, reason);
}

void Splice::forward(int from) {
    Side& src = sides_[from];
    Side& dst = sides_[1 - from];
    if (dst.detached) return;
    auto& out = dst.session->mux();
    std::size_t handed = 0;
    // The mark goes to the other mux between the bytes it came between.
    const auto mark_when_due = [&] {
        if (src.end_to_end_after != 0) return;
        out.mark_end_to_end(dst.id);
        src.end_to_end_after.reset();
    };
    mark_when_due();
    while (!src.pending.empty()) {
        auto& front = src.pending.front();
        const std::size_t rest = front.size() - src.front_offset;
        // A whole chunk that fits the credit moves to the other mux's queue as it is.
        const std::size_t n = src.front_offset == 0
                                  ? out.send(dst.id, std::move(front))
                                  : out.send(dst.id, std::span<const std::uint8_t>(front).subspan(src.front_offset));
        handed += n;
        src.pending_bytes -= n;
        if (src.end_to_end_after) *src.end_to_end_after -= std::min(n, *src.end_to_end_after);
        mark_when_due();
        if (n < rest) {
            src.front_offset += n;
            break;
        }
        src.pending.pop_front();
        src.front_offset = 0;
    }
    if (src.pending.empty() && src.fin_in && !dst.fin_out) {
        out.finish(dst.id);
        dst.fin_out = true;
    }
    if (handed > 0) {
        for (const auto& t : counted_) (from == 0 ? t->bytes_to_endpoint : t->bytes_to_client) += handed;
        src.session->mux().grant(src.id, handed, proto::Clock::now());
        src.session->flush();
    }
    dst.session->flush();
    finish_if_done();
}

void Splice::abort_other(int side, proto::Errc code, const std::string& reason) {
    Side& other = sides_[1 - side];
    if (!other.detached) {
        auto& mux = other.session->mux();
        if (side == 1 && !accepted_)
            mux.reject(other.id, code, reason);
        else
            mux.reset(other.id, code, reason);
        other.session->flush();
    }
    detach_all();
}

void Splice::finish_if_done() {
    const auto done = [](const Side& s) { return s.fin_in && s.fin_out && s.pending.empty(); };
    if (done(sides_[0]) && done(sides_[1])) detach_all();
}

void Splice::detach_all() {
    auto self = shared_from_this();  // the halves hold the last references
    for (auto& s : sides_) {
        std::size_t held = 0;  // never handed on: free the session credit it took
        for (const auto& chunk : s.pending) held += chunk.size();
        if (held > 0) s.session->mux().grant(s.id, held - s.front_offset, proto::Clock::now());
        s.pending.clear();
        s.front_offset = 0;
        if (s.detached) continue;
        s.detached = true;
        s.session->detach(s.id);
    }
}

}  // namespace burrow::relay
