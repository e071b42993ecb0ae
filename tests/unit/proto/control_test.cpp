#include "proto/control.hpp"

#include <gtest/gtest.h>

#include "proto/wire.hpp"
#include "tests/unit/proto/mux_harness.hpp"

namespace burrow::proto {
namespace {

using test::Bytes;

ControlMessage round_trip(const ControlMessage& msg) {
    ControlMessage back = ListRequest{};
    const Bytes wire = encode_control(msg);
    EXPECT_FALSE(decode_control(wire, back));
    return back;
}

std::error_code decode(const Bytes& payload) {
    ControlMessage out;
    return decode_control(payload, out);
}

std::vector<std::string> names(std::size_t n) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back("svc" + std::to_string(i));
    return out;
}

// A hand-written REGISTER: name, then `services` names.
Bytes register_payload(std::string_view name, const std::vector<std::string>& services) {
    Bytes out;
    ByteWriter w(out);
    w.u8(1);
    w.str16(name);
    w.u16(static_cast<std::uint16_t>(services.size()));
    for (const auto& s : services) w.str16(s);
    return out;
}

Bytes registered_payload(std::string_view name) {
    Bytes out;
    ByteWriter w(out);
    w.u8(2);
    w.str16(name);
    return out;
}

TEST(Control, KindNumbersAreFixed) {
    EXPECT_EQ(encode_control(Register{"lab", {}})[0], 1);
    EXPECT_EQ(encode_control(Registered{"lab"})[0], 2);
    EXPECT_EQ(encode_control(ListRequest{})[0], 3);
    EXPECT_EQ(encode_control(ListReply{})[0], 4);
    EXPECT_EQ(encode_control(ControlError{})[0], 5);
}

TEST(Control, RegisterRoundTrips) {
    const ControlMessage msg = Register{"gpu-box", {"ssh", "web_ui", "jupyter.lab"}};
    EXPECT_EQ(round_trip(msg), msg);
}

TEST(Control, RegisterWithoutServicesRoundTrips) {
    const ControlMessage msg = Register{"lab", {}};
    EXPECT_EQ(round_trip(msg), msg);
}

TEST(Control, RegisterWithMaxServicesRoundTrips) {
    const ControlMessage msg = Register{"lab", names(kMaxServices)};
    EXPECT_EQ(round_trip(msg), msg);
}

TEST(Control, RegisterWireLayout) {
    EXPECT_EQ(encode_control(Register{"ab", {"x"}}), (Bytes{1, 0, 2, 'a', 'b', 0, 1, 0, 1, 'x'}));
}

TEST(Control, RegisteredRoundTrips) {
    const ControlMessage msg = Registered{"lab"};
    EXPECT_EQ(round_trip(msg), msg);
}

TEST(Control, ListRequestIsOneByte) {
    EXPECT_EQ(encode_control(ListRequest{}), (Bytes{3}));
    EXPECT_EQ(round_trip(ListRequest{}), ControlMessage{ListRequest{}});
}

TEST(Control, ListReplyRoundTrips) {
    const ControlMessage msg = ListReply{{{"lab", {"ssh", "web"}}, {"gpu", {}}, {"Nas_2", {"smb"}}}};
    EXPECT_EQ(round_trip(msg), msg);
}

TEST(Control, EmptyListReplyRoundTrips) {
    EXPECT_EQ(round_trip(ListReply{}), ControlMessage{ListReply{}});
}

TEST(Control, ListReplyWithMaxEntriesRoundTrips) {
    ListReply reply;
    for (std::size_t i = 0; i < kMaxListEntries; ++i) reply.endpoints.push_back({"ep" + std::to_string(i), {"ssh"}});
    const ControlMessage msg = reply;
    EXPECT_EQ(round_trip(msg), msg);
}

TEST(Control, ErrorRoundTrips) {
    const ControlMessage msg = ControlError{Errc::name_in_use, "lab is taken"};
    EXPECT_EQ(round_trip(msg), msg);
}

TEST(Control, ErrorWithMaxReasonRoundTrips) {
    const ControlMessage msg = ControlError{Errc::not_authorized, std::string(kMaxReasonLen, 'r')};
    EXPECT_EQ(round_trip(msg), msg);
}

TEST(Control, ErrorReasonIsCutToMaxOnEncode) {
    const auto back = round_trip(ControlError{Errc::overloaded, std::string(kMaxReasonLen + 100, 'r')});
    ASSERT_TRUE(std::holds_alternative<ControlError>(back));
    EXPECT_EQ(std::get<ControlError>(back).reason.size(), kMaxReasonLen);
}

TEST(Control, ErrorWithUnknownCodeDecodesAsProtocolError) {
    const Bytes payload{5, 0xff, 0xff, 0, 0};
    ControlMessage out;
    ASSERT_FALSE(decode_control(payload, out));
    EXPECT_EQ(std::get<ControlError>(out).code, Errc::protocol_error);
}

TEST(ControlMalformed, EmptyPayload) { EXPECT_EQ(decode({}), Errc::malformed_frame); }

TEST(ControlMalformed, UnknownKinds) {
    for (int kind : {0, 6, 7, 0x80, 0xff}) EXPECT_EQ(decode(Bytes{static_cast<std::uint8_t>(kind)}), Errc::malformed_frame) << kind;
}

TEST(ControlMalformed, EveryTruncationOfEveryKind) {
    const std::vector<ControlMessage> messages{
        Register{"lab", {"ssh", "web"}}, Registered{"lab"},
        ListReply{{{"lab", {"ssh"}}, {"gpu", {"a", "b"}}}}, ControlError{Errc::name_in_use, "taken"}};
    for (const auto& msg : messages) {
        const Bytes full = encode_control(msg);
        for (std::size_t n = 0; n < full.size(); ++n)
            EXPECT_EQ(decode(Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n))), Errc::malformed_frame)
                << "kind " << int(full[0]) << " cut at " << n;
    }
}

TEST(ControlMalformed, TrailingBytesOnEveryKind) {
    const std::vector<ControlMessage> messages{Register{"lab", {"ssh"}}, Registered{"lab"}, ListRequest{},
                                               ListReply{{{"lab", {}}}}, ControlError{Errc::timeout, "slow"}};
    for (const auto& msg : messages) {
        Bytes wire = encode_control(msg);
        wire.push_back(0);
        EXPECT_EQ(decode(wire), Errc::malformed_frame) << "kind " << int(wire[0]);
    }
}

TEST(ControlMalformed, TooManyServices) {
    EXPECT_FALSE(decode(register_payload("lab", names(kMaxServices))));
    EXPECT_EQ(decode(register_payload("lab", names(kMaxServices + 1))), Errc::malformed_frame);
}

TEST(ControlMalformed, ServiceCountAboveMaxWithoutTheServices) {
    Bytes payload{1, 0, 3, 'l', 'a', 'b', 0xff, 0xff};
    EXPECT_EQ(decode(payload), Errc::malformed_frame);
}

TEST(ControlMalformed, TooManyServicesInAListEntry) {
    ListReply reply{{{"lab", names(kMaxServices + 1)}}};
    EXPECT_EQ(decode(encode_control(reply)), Errc::malformed_frame);
}

TEST(ControlMalformed, TooManyListEntries) {
    ListReply reply;
    for (std::size_t i = 0; i <= kMaxListEntries; ++i) reply.endpoints.push_back({"ep" + std::to_string(i), {}});
    EXPECT_EQ(decode(encode_control(reply)), Errc::malformed_frame);
}

TEST(ControlMalformed, HugeListCountWithoutEntries) {
    EXPECT_EQ(decode(Bytes{4, 0xff, 0xff}), Errc::malformed_frame);
}

TEST(ControlMalformed, BadEndpointNames) {
    for (const std::string& bad : std::vector<std::string>{"", ".hidden", "-dash", "sp ace", "sl/ash", "t\tab",
                                                           "caf\xc3\xa9", std::string(64, 'a'), std::string("nul\0x", 5)}) {
        EXPECT_EQ(decode(register_payload(bad, {"ssh"})), Errc::malformed_frame) << bad;
        EXPECT_EQ(decode(registered_payload(bad)), Errc::malformed_frame) << bad;
        EXPECT_EQ(decode(encode_control(ListReply{{{bad, {}}}})), Errc::malformed_frame) << bad;
    }
}

TEST(ControlMalformed, BadServiceNames) {
    for (const std::string& bad : std::vector<std::string>{"", ".x", "-x", "a b", "a:b", std::string(64, 's')}) {
        EXPECT_EQ(decode(register_payload("lab", {"ok", bad})), Errc::malformed_frame) << bad;
        EXPECT_EQ(decode(encode_control(ListReply{{{"lab", {bad}}}})), Errc::malformed_frame) << bad;
    }
}

TEST(ControlMalformed, NameOfMaxLengthIsAccepted) {
    EXPECT_FALSE(decode(register_payload(std::string(kMaxNameLen, 'n'), {std::string(kMaxNameLen, 's')})));
}

TEST(ControlMalformed, OverlongErrorReason) {
    Bytes payload;
    ByteWriter w(payload);
    w.u8(5);
    w.u16(1);
    w.str16(std::string(kMaxReasonLen + 1, 'r'));
    EXPECT_EQ(decode(payload), Errc::malformed_frame);
}

TEST(ControlMalformed, StringLengthBeyondPayload) {
    EXPECT_EQ(decode(Bytes{2, 0, 10, 'a', 'b'}), Errc::malformed_frame);
    EXPECT_EQ(decode(Bytes{5, 0, 1, 0, 10, 'a'}), Errc::malformed_frame);
}

TEST(ControlMalformed, OverlongStringLengthIsRejectedBeforeReading) {
    Bytes payload{2, 0xff, 0xff};
    payload.resize(3 + 0xffff, 'a');
    EXPECT_EQ(decode(payload), Errc::malformed_frame);
}

TEST(ControlMalformed, DecodeLeavesOutputAloneOnFailure) {
    ControlMessage out = Registered{"keep"};
    ASSERT_TRUE(decode_control(Bytes{1, 0, 0}, out));
    EXPECT_EQ(out, ControlMessage{Registered{"keep"}});
}

TEST(Control, CheckKindNumbersAreFixed) {
    EXPECT_EQ(encode_control(CheckRequest{})[0], 7);
    EXPECT_EQ(encode_control(CheckReply{})[0], 8);
}

TEST(Control, CheckRequestAndReplyRoundTrip) {
    const ControlMessage request = CheckRequest{{"gpu/ssh", "gpu/jupyter", "localhost/8888"}};
    EXPECT_EQ(round_trip(request), request);
    const ControlMessage reply = CheckReply{{{TargetStatus::ok, {}},
                                             {TargetStatus::no_service, {"ssh", "tensorboard"}},
                                             {TargetStatus::no_endpoint, {"gpu"}},
                                             {TargetStatus::offline, {}},
                                             {TargetStatus::not_granted, {}}}};
    EXPECT_EQ(round_trip(reply), reply);
}

TEST(Control, CheckReplyBytesAreAsSpecified) {
    const Bytes wire = encode_control(CheckReply{{{TargetStatus::no_service, {"ssh"}}}});
    EXPECT_EQ(wire, (Bytes{8, 0, 1, 3, 0, 1, 0, 3, 's', 's', 'h'}));
}

TEST(Control, CheckRequestRejectsBadTargetsAndCounts) {
    for (std::string_view bad : {"gpu", "gpu/", "/ssh", "gpu/ssh/x", "gp u/ssh"}) {
        Bytes out;
        ByteWriter w(out);
        w.u8(7);
        w.u16(1);
        w.str16(bad);
        EXPECT_EQ(decode(out), Errc::malformed_frame) << bad;
    }
    std::vector<std::string> many(kMaxCheckTargets + 1, "gpu/ssh");
    EXPECT_EQ(decode(encode_control(CheckRequest{many})), Errc::malformed_frame);
    many.pop_back();
    EXPECT_FALSE(decode(encode_control(CheckRequest{many})));
}

TEST(Control, CheckReplyRejectsUnknownStatusAndTrailingBytes) {
    EXPECT_EQ(decode(Bytes{8, 0, 1, 5, 0, 0}), Errc::malformed_frame);
    EXPECT_FALSE(decode(Bytes{8, 0, 1, 4, 0, 0}));
    EXPECT_EQ(decode(Bytes{8, 0, 1, 4, 0, 0, 0}), Errc::malformed_frame);
    EXPECT_EQ(decode(Bytes{8, 0, 2, 4, 0, 0}), Errc::malformed_frame);  // one result short
}

TEST(Control, WakeMessagesRoundTrip) {
    const ControlMessage info = LanInfo{{{{0, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e}, {192, 168, 77, 10}, 24},
                                         {{2, 0, 0, 0, 0, 1}, {10, 0, 0, 1}, 8}}};
    EXPECT_EQ(round_trip(info), info);
    const ControlMessage request = WakeRequest{"gpu"};
    EXPECT_EQ(round_trip(request), request);
    const ControlMessage sent = WakeSent{"lab-nas", {0, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e}};
    EXPECT_EQ(round_trip(sent), sent);
    const ControlMessage order = WakeOrder{{0, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e}, {192, 168, 77, 255}, 9};
    EXPECT_EQ(round_trip(order), order);
    EXPECT_EQ(encode_control(order), (Bytes{12, 0, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 192, 168, 77, 255, 0, 9}));
}

TEST(Control, WakeMessagesRejectBadFields) {
    EXPECT_EQ(decode(Bytes{9, 0, 1, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 33}), Errc::malformed_frame);  // prefix 33
    EXPECT_FALSE(decode(Bytes{9, 0, 1, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 32}));
    EXPECT_EQ(decode(Bytes{9, 0, 17}), Errc::malformed_frame);                                  // too many
    EXPECT_EQ(decode(Bytes{12, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0}), Errc::malformed_frame);     // port 0
    EXPECT_EQ(decode(Bytes{12, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0}), Errc::malformed_frame);        // short
    EXPECT_EQ(decode(Bytes{10, 0, 1, '.'}), Errc::malformed_frame);                              // bad name
}

TEST(Control, DetailsRoundTrip) {
    const ControlMessage request = DetailsRequest{};
    EXPECT_EQ(round_trip(request), request);
    const ControlMessage reply =
        DetailsReply{{{"gpu", false, 1733500000, "11.77.0.2", {}, {"nas"}, {}},
                      {"nas", true, 1733400000, "2001:db8::1", {"smb", "ssh"}, {}, {"11.77.0.2:40001", "[2001:db8::1]:7444"}}}};
    EXPECT_EQ(round_trip(reply), reply);
}

TEST(Control, DetailsRejectOddAddressesAndFlags) {
    DetailsReply reply{{{"gpu", true, 1, "1.2.3.4", {}, {}, {}}}};
    auto wire = encode_control(reply);
    EXPECT_FALSE(decode(wire));
    reply.endpoints[0].address = "1.2.3.4\x1b[2J";
    EXPECT_EQ(decode(encode_control(reply)), Errc::malformed_frame);
    wire[1 + 2 + 2 + 3] = 2;  // flags
    EXPECT_EQ(decode(wire), Errc::malformed_frame);
}

TEST(Control, DirectMessagesRoundTrip) {
    const ControlMessage info = DirectInfo{{"11.77.0.2:40001", "lab.example.org:7444", "[2001:db8::10]:7444"}};
    EXPECT_EQ(round_trip(info), info);
    const ControlMessage none = DirectInfo{};
    EXPECT_EQ(round_trip(none), none);
    const ControlMessage request = DirectRequest{"gpu"};
    EXPECT_EQ(round_trip(request), request);
    DirectReply reply{"gpu", {}, {"11.77.0.2:40001"}};
    reply.key.fill(7);
    EXPECT_EQ(round_trip(ControlMessage{reply}), ControlMessage{reply});
}

TEST(Control, DirectWireLayout) {
    EXPECT_EQ(encode_control(DirectInfo{{"1.2.3.4:5"}}), (Bytes{15, 0, 1, 0, 9, '1', '.', '2', '.', '3', '.', '4', ':', '5'}));
    EXPECT_EQ(encode_control(DirectRequest{"gpu"}), (Bytes{16, 0, 3, 'g', 'p', 'u'}));
}

TEST(Control, DirectRejectsBadCandidates) {
    EXPECT_EQ(decode(Bytes{15, 0, 9}), Errc::malformed_frame);  // more than 8
    for (std::string bad : {"1.2.3.4", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:07", ":80", "[]:80", "[1.2.x]:80",
                            "a b:80", "-a:80", "a\x1b:80", "h:80x"}) {
        EXPECT_FALSE(is_valid_candidate(bad)) << bad;
        Bytes wire{15, 0, 1, 0, static_cast<std::uint8_t>(bad.size())};
        wire.insert(wire.end(), bad.begin(), bad.end());
        EXPECT_EQ(decode(wire), Errc::malformed_frame) << bad;
    }
    for (std::string ok : {"1.2.3.4:1", "h:65535", "[::1]:7444", "gpu.lab-1.example.org:22"})
        EXPECT_TRUE(is_valid_candidate(ok)) << ok;
    EXPECT_FALSE(is_valid_candidate(std::string(kMaxCandidateLen - 4, 'a') + ":7444"));
    EXPECT_EQ(decode(Bytes{17, 0, 3, 'g', 'p', 'u', 1, 2}), Errc::malformed_frame);  // short key
}

TEST(Names, ValidNames) {
    for (std::string_view ok : {"a", "Z", "0", "lab", "gpu-box", "web_ui", "a.b.c", "x-", "x.", "_x", "A1_b-2.c"})
        EXPECT_TRUE(is_valid_name(ok)) << ok;
    EXPECT_TRUE(is_valid_name(std::string(kMaxNameLen, 'a')));
}

TEST(Names, InvalidNames) {
    for (std::string_view bad : {"", ".", "-", ".a", "-a", "a b", "a/b", "a@b", "a+b", "ä", "a\n"})
        EXPECT_FALSE(is_valid_name(bad)) << bad;
    EXPECT_FALSE(is_valid_name(std::string(kMaxNameLen + 1, 'a')));
}

TEST(Target, ParsesEndpointAndService) {
    std::string endpoint, service;
    ASSERT_TRUE(parse_target("lab/ssh", endpoint, service));
    EXPECT_EQ(endpoint, "lab");
    EXPECT_EQ(service, "ssh");
}

TEST(Target, RejectsMalformedTargets) {
    for (std::string_view bad : {"", "lab", "/ssh", "lab/", "lab/ssh/x", ".lab/ssh", "lab/-ssh", "l ab/ssh", "lab//ssh"}) {
        std::string endpoint = "keep", service = "keep";
        EXPECT_FALSE(parse_target(bad, endpoint, service)) << bad;
        EXPECT_EQ(endpoint, "keep");
    }
}

}  // namespace
}  // namespace burrow::proto
