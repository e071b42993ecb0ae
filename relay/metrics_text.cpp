#include "relay/metrics_text.hpp"

namespace burrow::relay {

namespace {

// A label value: backslash, double quote and line feed escaped.
std::string label(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

class Writer {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    // `labels` is already formatted: `role="endpoint"`.
    void sample(std::string_view name, const std::string& labels, std::uint64_t value) {
        out_ += name;
        if (!labels.empty()) out_ += "{" + labels + "}";
        out_ += ' ';
        out_ += std::to_string(value);
        out_ += '\n';
    }
    void single(std::string_view name, std::string_view type, std::string_view help, std::uint64_t value) {
        family(name, type, help);
        sample(name, "", value);
    }
    // A counter with one sample per reason, each named by `name_of(Reason(i))`.
    template <typename Reason, std::size_t N>
    void by_reason(std::string_view name, std::string_view help, const std::array<std::uint64_t, N>& counts,
                   std::string_view (*name_of)(Reason)) {
        family(name, "counter", help);
        for (std::size_t i = 0; i < N; ++i)
            sample(name, "reason=\"" + std::string(name_of(static_cast<Reason>(i))) + "\"", counts[i]);
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

std::uint64_t count_suspended(const std::vector<SessionStatus>& sessions) {
    std::uint64_t n = 0;
    for (const auto& s : sessions) n += s.suspended;
    return n;
}

}  // namespace

std::string prometheus_text(const RelayStatus& status) {
    Writer w;
    w.single("burrow_relay_start_time_seconds", "gauge", "When the relay started, in seconds since the epoch.",
             static_cast<std::uint64_t>(status.started));
    w.family("burrow_relay_sessions", "gauge", "Authenticated sessions open now, by role (suspended ones included).");
    w.sample("burrow_relay_sessions", "role=\"endpoint\"", status.endpoints.size());
    w.sample("burrow_relay_sessions", "role=\"client\"", status.clients.size());
    w.single("burrow_relay_sessions_suspended", "gauge", "Sessions whose connection broke, waiting to resume.",
             count_suspended(status.endpoints) + count_suspended(status.clients));
    w.single("burrow_relay_sessions_total", "counter", "Sessions authenticated since the relay started.",
             status.counters.sessions_total);
    w.single("burrow_relay_resumes_total", "counter", "Broken sessions resumed on a new connection.",
             status.counters.resumes);
    w.single("burrow_relay_handshakes_pending", "gauge", "Connections still in the TLS handshake.",
             status.handshakes_pending);
    w.by_reason("burrow_relay_handshake_failures_total", "Connections that failed before a session began, by reason.",
                status.counters.handshake_failures, handshake_failure_name);
    w.by_reason("burrow_relay_refusals_total", "Connections, streams and requests the relay refused, by reason.",
                status.counters.refusals, refusal_name);

    w.single("burrow_relay_streams_open", "gauge", "Streams spliced between a client and an endpoint now.",
             status.totals.streams_open);
    w.single("burrow_relay_streams_opened_total", "counter", "Streams spliced since the relay started.",
             status.totals.streams_opened);
    w.single("burrow_relay_streams_waiting", "gauge", "New streams waiting for a suspended endpoint to come back.",
             status.streams_waiting);
    w.family("burrow_relay_bytes_total", "counter", "Stream payload bytes forwarded, by direction.");
    w.sample("burrow_relay_bytes_total", "direction=\"to_endpoint\"", status.totals.bytes_to_endpoint);
    w.sample("burrow_relay_bytes_total", "direction=\"to_client\"", status.totals.bytes_to_client);

    w.family("burrow_relay_endpoint_up", "gauge", "1 for each endpoint registered now (0 while it is suspended).");
    for (const auto& e : status.endpoints)
        w.sample("burrow_relay_endpoint_up", "endpoint=\"" + label(e.name) + "\"", e.suspended ? 0 : 1);
    w.family("burrow_relay_endpoint_streams_open", "gauge", "Streams open now, by endpoint.");
    for (const auto& e : status.endpoints)
        w.sample("burrow_relay_endpoint_streams_open", "endpoint=\"" + label(e.name) + "\"", e.traffic.streams_open);
    w.family("burrow_relay_endpoint_bytes_total", "counter", "Stream payload bytes forwarded on this endpoint's session, by direction.");
    for (const auto& e : status.endpoints) {
        const std::string name = "endpoint=\"" + label(e.name) + "\"";
        w.sample("burrow_relay_endpoint_bytes_total", name + ",direction=\"to_endpoint\"", e.traffic.bytes_to_endpoint);
        w.sample("burrow_relay_endpoint_bytes_total", name + ",direction=\"to_client\"", e.traffic.bytes_to_client);
    }
    return w.take();
}

}  // namespace burrow::relay
