#include "relay/status_text.hpp"

#include <algorithm>

namespace burrow::relay {

std::string text_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], row[i].size());
        }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
        }
        out += "  " + line + "\n";
    }
    return out;
}

namespace {

std::string streams(const Traffic& t) { return std::to_string(t.streams_open) + "/" + std::to_string(t.streams_opened); }

}  // namespace

std::string status_text(const RelayStatus& s) {
    std::uint64_t refused = 0;
    for (const auto n : s.counters.refusals) refused += n;
    std::string out = "relay " + s.listen + ", up " + format_duration(s.now - s.started) + "; " +
                      std::to_string(s.endpoints.size()) + " endpoint(s), " + std::to_string(s.clients.size()) +
                      " client(s); streams " + std::to_string(s.totals.streams_open) + " open, " +
                      std::to_string(s.totals.streams_opened) + " since start; " + format_bytes(s.totals.bytes_to_endpoint) +
                      " to endpoints, " + format_bytes(s.totals.bytes_to_client) + " to clients; " +
                      std::to_string(refused) + " refusal(s)\n";
    if (s.endpoints.empty()) {
        out += "no endpoint online\n";
    } else {
        std::vector<std::vector<std::string>> rows{
            {"ENDPOINT", "STATE", "FOR", "ADDRESS", "SERVICES", "STREAMS", "TO ENDPOINT", "TO CLIENT"}};
        for (const auto& e : s.endpoints)
            rows.push_back({e.name, e.suspended ? "resuming" : "online", format_duration(s.now - e.since), e.address,
                            e.services.empty() ? "-" : joined(e.services, ","), streams(e.traffic), format_bytes(e.traffic.bytes_to_endpoint),
                            format_bytes(e.traffic.bytes_to_client)});
        out += text_table(rows);
    }
    if (s.clients.empty()) {
        out += "no client connected\n";
    } else {
        std::vector<std::vector<std::string>> rows{
            {"CLIENT", "STATE", "FOR", "ADDRESS", "KEY", "STREAMS", "TO ENDPOINT", "TO CLIENT"}};
        for (const auto& c : s.clients)
            rows.push_back({c.name.empty() ? "-" : c.name, c.suspended ? "resuming" : "online",
                            format_duration(s.now - c.since), c.address, c.fingerprint, streams(c.traffic),
                            format_bytes(c.traffic.bytes_to_endpoint), format_bytes(c.traffic.bytes_to_client)});
        out += text_table(rows);
    }
    return out;
}

}  // namespace burrow::relay
