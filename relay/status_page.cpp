#include "relay/status_page.hpp"

namespace burrow::relay {

namespace {

std::string escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string cell(std::string_view text, std::string_view cls = {}) {
    return cls.empty() ? "<td>" + escape(text) + "</td>" : "<td class=\"" + std::string(cls) + "\">" + escape(text) + "</td>";
}

std::string state(const SessionStatus& s) { return s.suspended ? "resuming" : "online"; }

std::string since(const SessionStatus& s, std::int64_t now) {
    return format_utc(s.since) + " (" + format_duration(now - s.since) + ")";
}

std::string traffic_cells(const Traffic& t) {
    return cell(std::to_string(t.streams_open), "n") + cell(std::to_string(t.streams_opened), "n") +
           cell(format_bytes(t.bytes_to_endpoint), "n") + cell(format_bytes(t.bytes_to_client), "n");
}

constexpr const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1d2330;background:#f6f7f9}
h1{font-size:20px;margin:0 0 .2em}h2{font-size:16px;margin:1.6em 0 .4em}
p.sub{color:#5a6272;margin:0 0 1em}
table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002;min-width:60%}
th,td{padding:.35em .8em;text-align:left;border-bottom:1px solid #e4e7ec}
th{background:#eef1f5;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.fp{font-family:ui-monospace,monospace;font-size:12px;color:#5a6272}
.online{color:#137333;font-weight:600}.resuming{color:#b06000;font-weight:600}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{background:#fff;padding:.6em 1em;box-shadow:0 1px 2px #0002}
.card b{display:block;font-size:18px}
)";

}  // namespace

std::string status_html(const RelayStatus& status) {
    std::string h;
    h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta http-equiv=\"refresh\" content=\"15\"><title>burrow relay ";
    h += escape(status.listen) + "</title><style>" + kStyle + "</style></head><body>\n";
    h += "<h1>burrow relay " + escape(status.listen) + "</h1>\n<p class=\"sub\">up " +
         escape(format_duration(status.now - status.started)) + ", since " + escape(format_utc(status.started)) +
         "; page of " + escape(format_utc(status.now)) + "</p>\n";

    h += "<div class=\"cards\">";
    const auto card = [&](const std::string& value, const std::string& what) {
        h += "<div class=\"card\"><b>" + escape(value) + "</b>" + escape(what) + "</div>";
    };
    card(std::to_string(status.endpoints.size()), "endpoints");
    card(std::to_string(status.clients.size()), "clients");
    card(std::to_string(status.totals.streams_open), "streams open");
    card(std::to_string(status.totals.streams_opened), "streams since start");
    card(format_bytes(status.totals.bytes_to_endpoint), "to endpoints");
    card(format_bytes(status.totals.bytes_to_client), "to clients");
    h += "</div>\n";

    const std::string traffic_heads = "<th>streams open</th><th>opened</th><th>to endpoint</th><th>to client</th>";
    h += "<h2>Endpoints</h2>\n";
    if (status.endpoints.empty()) {
        h += "<p>No endpoint is online.</p>\n";
    } else {
        h += "<table><tr><th>name</th><th>state</th><th>services</th><th>online since</th><th>address</th>" +
             traffic_heads + "<th>key</th></tr>\n";
        for (const auto& e : status.endpoints)
            h += "<tr>" + cell(e.name) + cell(state(e), state(e)) + cell(joined(e.services, ", ")) + cell(since(e, status.now)) +
                 cell(e.address) + traffic_cells(e.traffic) + cell(e.fingerprint, "fp") + "</tr>\n";
        h += "</table>\n";
    }
    h += "<h2>Clients</h2>\n";
    if (status.clients.empty()) {
        h += "<p>No client is connected.</p>\n";
    } else {
        h += "<table><tr><th>name</th><th>state</th><th>connected since</th><th>address</th>" + traffic_heads +
             "<th>key</th></tr>\n";
        for (const auto& c : status.clients)
            h += "<tr>" + cell(c.name.empty() ? "(no label)" : c.name) + cell(state(c), state(c)) +
                 cell(since(c, status.now)) + cell(c.address) + traffic_cells(c.traffic) + cell(c.fingerprint, "fp") +
                 "</tr>\n";
        h += "</table>\n";
    }
    std::uint64_t refused = 0;
    for (const auto n : status.counters.refusals) refused += n;
    std::uint64_t failed = 0;
    for (const auto n : status.counters.handshake_failures) failed += n;
    h += "<h2>Since start</h2>\n<p>" + std::to_string(status.counters.sessions_total) + " sessions, " +
         std::to_string(status.counters.resumes) + " resumed; " + std::to_string(refused) + " refusals, " +
         std::to_string(failed) + " failed handshakes; " + std::to_string(status.handshakes_pending) +
         " handshakes pending. Counters by reason are on <a href=\"/metrics\">/metrics</a>.</p>\n";
    h += "</body></html>\n";
    return h;
}

}  // namespace burrow::relay
