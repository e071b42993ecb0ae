"""The relay's admin listener (/metrics, the status page, /status.json) and
`burrow status`: exact counters after known traffic, the page in headless
Chromium, tokens, and an admin address that stays on loopback unless asked."""
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import COMMAND_TIMEOUT, describe, run, wait_for

TOKEN = "status-test-token-7f3a9c1e"
CHROMIUM = shutil.which("chromium")


def admin_toml(listen="127.0.0.1:0", token=None, allow_remote=None):
    out = ["", "[admin]", f'listen = "{listen}"']
    if token is not None:
        out.append(f'token = "{token}"')
    if allow_remote is not None:
        out.append(f"allow_remote = {'true' if allow_remote else 'false'}")
    return "\n".join(out) + "\n"


def admin_address(relay):
    line = relay.proc.wait_for_line("admin on")
    m = re.fullmatch(r"admin on (127\.0\.0\.1:\d+)", line.strip())
    assert m, f"unexpected admin line {line!r}\n{relay.proc.report()}"
    return m.group(1)


def get(url, token=None, headers=None):
    """(status, headers, body text) of a GET."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=COMMAND_TIMEOUT) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def metrics(address, token=TOKEN):
    """{'name{labels}': value} of /metrics."""
    status, _, body = get(f"http://{address}/metrics", token)
    assert status == 200, body
    samples = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = int(value)
    return samples


def send_through(port, payload):
    """Sends `payload`, half-closes, returns the digest server's reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=COMMAND_TIMEOUT) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    return reply


def test_metrics_count_exactly_what_went_through(make_relay, endpoint, forward, digest_server, burrow, keys):
    relay = make_relay(clients={"client": ["lab/*"]}, extra=admin_toml(token=TOKEN))
    address = admin_address(relay)
    # e2e=off: after the end-to-end handshake (msg1 38 + msg3 32 bytes up, msg2 66 down, PROTOCOL.md §7.1),
    # the relay forwards the service's bytes as they are, so they can be counted exactly.
    endpoint({"digest": f"{digest_server.addr},e2e=off"}, name="lab", relay=relay)
    fwd = forward("0:lab:digest", relay=relay)

    payloads = [os.urandom(n) for n in (100_000, 1, 65_537)]
    replies = [send_through(fwd.port_for("lab/digest"), p) for p in payloads]
    for payload, reply in zip(payloads, replies):
        assert reply.split()[1] == str(len(payload)).encode(), reply

    # Refusals, one of each: a key the relay does not know, a service that
    # does not exist, an endpoint that is not online, a target not granted.
    assert burrow("ls", *relay.args, env=keys.env("stranger")).returncode != 0
    for target in ("lab/nope", "gpu/ssh", "other/x"):
        result = burrow("connect", *relay.args, target, input=b"")
        assert result.returncode != 0, describe(result)

    def settled():
        m = metrics(address)
        return m["burrow_relay_streams_open"] == 0 and m['burrow_relay_sessions{role="client"}'] == 1
    wait_for("streams and short sessions to end", settled, state=lambda: metrics(address))

    m = metrics(address)
    sent = sum(len(p) for p in payloads) + 3 * (38 + 32)
    returned = sum(len(r) for r in replies) + 3 * 66
    assert m["burrow_relay_streams_opened_total"] == 3, m
    assert m['burrow_relay_bytes_total{direction="to_endpoint"}'] == sent, m
    assert m['burrow_relay_bytes_total{direction="to_client"}'] == returned, m
    assert m['burrow_relay_endpoint_bytes_total{endpoint="lab",direction="to_endpoint"}'] == sent, m
    assert m['burrow_relay_endpoint_up{endpoint="lab"}'] == 1, m
    assert m['burrow_relay_sessions{role="endpoint"}'] == 1, m
    assert m['burrow_relay_refusals_total{reason="unknown_key"}'] == 1, m
    assert m['burrow_relay_refusals_total{reason="no_service"}'] == 1, m
    # gpu is granted to no one here, so "gpu/ssh" is refused as not granted, as is "other/x".
    assert m['burrow_relay_refusals_total{reason="not_granted"}'] == 2, m
    assert m['burrow_relay_refusals_total{reason="no_endpoint"}'] == 0, m
    # the endpoint, the forward, ls (refused before its session) no, and three connects
    assert m["burrow_relay_sessions_total"] == 5, m
    assert m["burrow_relay_resumes_total"] == 0, m
    assert m["burrow_relay_handshakes_pending"] == 0, m

    # The same numbers as JSON, from the admin listener and from `burrow status` on the relay's machine.
    status, headers, body = get(f"http://{address}/status.json", TOKEN)
    assert status == 200 and headers["Content-Type"] == "application/json", body
    over_http = json.loads(body)
    result = burrow("status", "--json", env=keys.env("relay"))
    assert result.returncode == 0, describe(result)
    over_socket = json.loads(result.stdout)["relay"]
    for s in (over_http, over_socket):
        assert [e["name"] for e in s["endpoints"]] == ["lab"], s
        assert s["endpoints"][0]["services"] == ["digest"], s
        assert s["endpoints"][0]["fingerprint"] == keys_fingerprint(burrow, keys, "lab"), s
        assert s["totals"]["bytes_to_endpoint"] == sent and s["totals"]["streams_opened"] == 3, s
        assert [c["name"] for c in s["clients"]] == ["client"], s
        assert s["clients"][0]["traffic"]["bytes_to_client"] == returned, s
        assert s["refusals"]["unknown_key"] == 1, s

    result = burrow("status", env=keys.env("relay"))
    assert result.returncode == 0, describe(result)
    text = result.stdout.decode()
    assert "1 endpoint(s), 1 client(s)" in text, text
    row = next(line.split() for line in text.splitlines() if line.split()[:2] == ["lab", "online"])
    assert row[4:6] == ["digest", "0/3"], text

    # On the laptop, `burrow status` shows its forwards: what the local programs sent and received.
    result = burrow("status", "--json")
    assert result.returncode == 0, describe(result)
    laptop = json.loads(result.stdout)
    assert laptop["relay"] is None, laptop
    [own] = laptop["forwards"]
    assert own["pid"] == fwd.proc.p.pid and own["session"] == "connected" and own["relay"] == relay.addr, own
    assert own["forwards"] == [{"listen": f"127.0.0.1:{fwd.port_for('lab/digest')}", "target": "lab/digest",
                                "state": "ok", "path": "relay", "connections_open": 0, "connections": 3,
                                "bytes_sent": sum(len(p) for p in payloads),
                                "bytes_received": sum(len(r) for r in replies)}], own
    result = burrow("status")
    assert result.returncode == 0, describe(result)
    text = result.stdout.decode()
    assert f"forward (pid {fwd.proc.p.pid}): relay {relay.addr} connected" in text, text
    assert [line.split()[:6] for line in text.splitlines() if "lab/digest" in line] == \
        [[f"127.0.0.1:{fwd.port_for('lab/digest')}", "lab/digest", "ok", "relay", "0", "3"]], text


def keys_fingerprint(burrow, keys, role):
    result = burrow("id", "--fingerprint", env=keys.env(role))
    assert result.returncode == 0, describe(result)
    return result.stdout.decode().strip()


def test_token_is_required_and_checked(make_relay):
    relay = make_relay(extra=admin_toml(token=TOKEN))
    address = admin_address(relay)
    for token in (None, "wrong-token-of-some-length", TOKEN + "x", TOKEN[:-1]):
        status, headers, body = get(f"http://{address}/metrics", token)
        assert status == 401, (token, status, body)
        assert "burrow_relay" not in body
        assert any(v.startswith("Basic ") for v in headers.get_all("WWW-Authenticate")), headers
    status, _, body = get(f"http://{address}/", TOKEN)
    assert status == 200 and "<h1>burrow relay" in body, body
    # A browser's login prompt: any user name, the token as the password.
    basic = base64.b64encode(f"me:{TOKEN}".encode()).decode()
    status, _, body = get(f"http://{address}/metrics", headers={"Authorization": f"Basic {basic}"})
    assert status == 200 and "burrow_relay_sessions" in body, body
    wrong = base64.b64encode(b"me:not-the-token-at-all").decode()
    assert get(f"http://{address}/metrics", headers={"Authorization": f"Basic {wrong}"})[0] == 401
    # curl, as Prometheus or a script would ask
    result = run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", f"http://{address}/metrics",
                  "-H", "Authorization: Bearer nope"], env=None)
    assert result.stdout == b"401", describe(result)
    result = run(["curl", "-sS", "-f", f"http://{address}/metrics", "-H", f"Authorization: Bearer {TOKEN}"], env=None)
    assert result.returncode == 0 and b"# TYPE burrow_relay_bytes_total counter" in result.stdout, describe(result)
    assert TOKEN.encode() not in relay.proc.report().encode()


def test_loopback_listener_refuses_foreign_host_names(make_relay):
    """A web page that rebinds its own name to 127.0.0.1 must not read the status."""
    relay = make_relay(extra=admin_toml())
    address = admin_address(relay)
    status, _, body = get(f"http://{address}/", headers={"Host": "evil.example:80"})
    assert status == 403 and "lab" not in body, body
    for host in (address, f"localhost:{address.split(':')[1]}"):
        status, headers, body = get(f"http://{address}/", headers={"Host": host})
        assert status == 200, (host, body)
        assert headers["Content-Security-Policy"].startswith("default-src 'none'"), headers
    status, _, body = get(f"http://{address}/nowhere")
    assert status == 404, body


@pytest.mark.parametrize("admin, message", [
    (admin_toml(listen="0.0.0.0:0"), "is not a loopback address"),
    (admin_toml(listen="0.0.0.0:0", allow_remote=True), "allow_remote = true needs a token"),
    (admin_toml(token="short"), "at least 16 characters"),
])
def test_unsafe_admin_settings_are_refused_at_start(keys, tmp_path, burrow, admin, message):
    config = tmp_path / "relay.toml"
    config.write_text('listen = "127.0.0.1:0"\n' + admin)
    result = burrow("relay", "-c", str(config), env=keys.env("relay"))
    assert result.returncode == 1, describe(result)
    assert message in result.stderr.decode(), describe(result)
    assert "relay.toml" in result.stderr.decode(), describe(result)


def test_status_with_nothing_running_says_so(burrow, keys, tmp_path):
    home = keys.home("nobody-here")
    (home / "forward-999999.sock").write_text("")  # left by a killed forward: nothing answers there
    result = burrow("status", env=keys.env("nobody-here"))
    assert result.returncode == 1, describe(result)
    assert "nothing of burrow's is running here: no relay answers on" in result.stderr.decode(), describe(result)
    assert not (home / "forward-999999.sock").exists()
    result = burrow("status", "--control-socket", tmp_path / "none.sock", env=keys.env("nobody-here"))
    assert result.returncode == 1, describe(result)
    assert f"no relay answers on {tmp_path / 'none.sock'}: is it running?" in result.stderr.decode(), describe(result)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/deps --test installs it)")
def test_status_page_in_headless_chromium(make_relay, endpoint, tmp_path):
    relay = make_relay(extra=admin_toml())
    address = admin_address(relay)
    endpoint({"ssh": "127.0.0.1:1,e2e=off", "jupyter": "127.0.0.1:2"}, name="gpu", relay=relay)
    artifacts = Path(os.environ.get("BURROW_ARTIFACTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    screenshot = artifacts / "relay-status-page.png"
    screenshot.unlink(missing_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars"]

    def chromium(*args, profile):
        return subprocess.run([CHROMIUM, *flags, f"--user-data-dir={tmp_path / profile}", *args],
                              capture_output=True, timeout=120)

    dom = chromium("--dump-dom", f"http://{address}/", profile="dom")
    assert dom.returncode == 0, dom.stderr.decode()[-2000:]
    page = dom.stdout.decode()
    row = re.search(r"<tr><td>gpu</td>(.*?)</tr>", page)
    assert row, page
    assert '<td class="online">online</td>' in row.group(1) and "<td>jupyter, ssh</td>" in row.group(1), row.group(1)
    assert "<title>burrow relay" in page and "No client is connected." in page, page

    shot = chromium(f"--screenshot={screenshot}", "--window-size=1280,720", f"http://{address}/", profile="shot")
    assert shot.returncode == 0, shot.stderr.decode()[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_malformed_requests_get_an_error_and_the_listener_goes_on(make_relay):
    relay = make_relay(extra=admin_toml(token=TOKEN))
    host, port = admin_address(relay).split(":")
    for junk in (b"\x16\x03\x01\x02\x00garbage\r\n\r\n",                         # TLS to a plain port
                 b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n",  # header too large
                 b"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"):           # a body it takes none of
        with socket.create_connection((host, int(port)), timeout=COMMAND_TIMEOUT) as s:
            s.sendall(junk)
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 400 ") or reply.startswith(b"HTTP/1.1 401 "), reply[:200]
        assert b"burrow_relay" not in reply
    assert metrics(f"{host}:{port}")["burrow_relay_sessions_total"] == 0
