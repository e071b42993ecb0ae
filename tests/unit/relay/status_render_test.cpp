// The relay's status as Prometheus text, HTML, JSON and terminal text.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "relay/metrics_text.hpp"
#include "relay/status_json.hpp"
#include "relay/status_page.hpp"
#include "relay/status_text.hpp"

using namespace burrow::relay;

namespace {

RelayStatus sample() {
    RelayStatus s;
    s.listen = "127.0.0.1:7443";
    s.started = 1'800'000'000;
    s.now = s.started + 3725;
    s.handshakes_pending = 2;
    s.totals = {1, 7, 123'456, 9'876'543'210};
    s.counters.sessions_total = 9;
    s.counters.resumes = 1;
    s.counters.refused(Refusal::not_granted);
    s.counters.refused(Refusal::not_granted);
    s.counters.failed(HandshakeFailure::tls);
    s.endpoints.push_back({"gpu", "SHA256:abc", "10.0.0.2:5555", s.started + 5, false, {"jupyter", "ssh"},
                           {1, 7, 123'456, 9'876'543'210}});
    s.endpoints.push_back({"nas", "SHA256:def", "10.0.0.3:5555", s.started + 6, true, {"smb"}, {}});
    s.clients.push_back({"<b>laptop</b> & \"co\"", "SHA256:ghi", "1.2.3.4:40000", s.started + 60, false, {},
                         {1, 7, 123'456, 9'876'543'210}});
    return s;
}

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST(MetricsText, SamplesAndTypes) {
    const auto text = prometheus_text(sample());
    EXPECT_TRUE(has_line(text, "# TYPE burrow_relay_bytes_total counter"));
    EXPECT_TRUE(has_line(text, "burrow_relay_bytes_total{direction=\"to_client\"} 9876543210"));
    EXPECT_TRUE(has_line(text, "burrow_relay_sessions{role=\"endpoint\"} 2"));
    EXPECT_TRUE(has_line(text, "burrow_relay_sessions{role=\"client\"} 1"));
    EXPECT_TRUE(has_line(text, "burrow_relay_sessions_suspended 1"));
    EXPECT_TRUE(has_line(text, "burrow_relay_refusals_total{reason=\"not_granted\"} 2"));
    EXPECT_TRUE(has_line(text, "burrow_relay_refusals_total{reason=\"unknown_key\"} 0"));  // every reason, even at 0
    EXPECT_TRUE(has_line(text, "burrow_relay_handshake_failures_total{reason=\"tls\"} 1"));
    EXPECT_TRUE(has_line(text, "burrow_relay_endpoint_up{endpoint=\"nas\"} 0"));
    EXPECT_TRUE(has_line(text, "burrow_relay_endpoint_bytes_total{endpoint=\"gpu\",direction=\"to_endpoint\"} 123456"));
    EXPECT_TRUE(has_line(text, "burrow_relay_handshakes_pending 2"));
    EXPECT_EQ(text.back(), '\n');
}

TEST(MetricsText, EveryFamilyIsDeclaredOnceBeforeItsSamples) {
    const auto text = prometheus_text(sample());
    std::set<std::string> typed;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("# TYPE ", 0) == 0) {
            const auto name = line.substr(7, line.find(' ', 7) - 7);
            EXPECT_TRUE(typed.insert(name).second) << name;
        } else if (line[0] != '#') {
            const auto name = line.substr(0, line.find_first_of("{ "));
            EXPECT_TRUE(typed.count(name)) << line;
        }
    }
}

TEST(StatusPage, EscapesWhatPeersAndConfigsName) {
    const auto html = status_html(sample());
    EXPECT_EQ(html.find("<b>laptop"), std::string::npos);
    EXPECT_NE(html.find("&lt;b&gt;laptop&lt;/b&gt; &amp; &quot;co&quot;"), std::string::npos);
    EXPECT_NE(html.find("<td>gpu</td><td class=\"online\">online</td><td>jupyter, ssh</td>"), std::string::npos);
    EXPECT_NE(html.find("<td>nas</td><td class=\"resuming\">resuming</td>"), std::string::npos);
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("http://"), std::string::npos);  // nothing fetched from elsewhere
}

TEST(StatusPage, SaysWhenNobodyIsThere) {
    RelayStatus empty;
    const auto html = status_html(empty);
    EXPECT_NE(html.find("No endpoint is online."), std::string::npos);
    EXPECT_NE(html.find("No client is connected."), std::string::npos);
}

TEST(StatusJson, RoundTrips) {
    const auto before = sample();
    const auto after = parse_status_json(status_json(before));
    EXPECT_EQ(status_json(after), status_json(before));
    ASSERT_EQ(after.endpoints.size(), 2u);
    EXPECT_EQ(after.endpoints[0].services, (std::vector<std::string>{"jupyter", "ssh"}));
    EXPECT_TRUE(after.endpoints[1].suspended);
    EXPECT_EQ(after.clients[0].name, before.clients[0].name);
    EXPECT_EQ(after.totals.bytes_to_client, 9'876'543'210u);
    EXPECT_EQ(after.counters.refusals[static_cast<std::size_t>(Refusal::not_granted)], 2u);
    EXPECT_EQ(status_json(before).find('\n'), std::string::npos);  // one line for the control socket
}

TEST(StatusJson, RefusesWhatIsNotAStatus) {
    EXPECT_THROW(parse_status_json("not json"), std::runtime_error);
    EXPECT_THROW(parse_status_json("{\"role\":\"endpoint\"}"), std::runtime_error);
    EXPECT_THROW(parse_status_json("{\"role\":\"relay\"}"), std::runtime_error);
}

TEST(StatusText, OneRowPerSession) {
    const auto text = status_text(sample());
    EXPECT_NE(text.find("relay 127.0.0.1:7443, up 1h 2m; 2 endpoint(s), 1 client(s)"), std::string::npos) << text;
    EXPECT_NE(text.find("gpu       online    1h 2m  10.0.0.2:5555  jupyter,ssh  1/7      123 kB       9.88 GB"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("nas       resuming"), std::string::npos) << text;
}

TEST(Format, BytesAndDurations) {
    EXPECT_EQ(format_bytes(0), "0 B");
    EXPECT_EQ(format_bytes(999), "999 B");
    EXPECT_EQ(format_bytes(1000), "1.00 kB");
    EXPECT_EQ(format_bytes(123'456), "123 kB");
    EXPECT_EQ(format_bytes(45'600'000), "45.6 MB");
    EXPECT_EQ(format_duration(12), "12s");
    EXPECT_EQ(format_duration(250), "4m 10s");
    EXPECT_EQ(format_duration(3 * 86400 + 4 * 3600 + 5), "3d 4h");
    EXPECT_EQ(format_duration(-5), "0s");
    EXPECT_EQ(format_utc(0), "1970-01-01 00:00:00 UTC");
}
