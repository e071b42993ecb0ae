"""Staying connected: relay restarts, half-open sessions, stale-session
takeover, loss and rate limits, endpoint reload and relay drain, on a real
(namespaced) network: relay on the VPS, endpoint on the GPU box behind the lab
router's NAT, clients on the laptop (tests/integration/netns.py, tests/support/testnet.sh).

No test asserts a time. What burrow promises about time (liveness: a
session silent for 20 s is closed; reconnect backoff from 0.5 s, doubling;
stale sessions replaced at once; a second SIGTERM stops at once) is checked
by what it says and does: the reason it gives for closing a session, the
delays it announces, which event comes first. Deadlines only catch hangs.
"""
import hashlib
import http.client
import re
import signal
import socket
import threading
import types

import pytest

from clients import digest_reply
from conftest import COMMAND_TIMEOUT, describe, recv_all, wait_for
pytest_plugins = ["netns"]  # the mknet and rig fixtures (tests/integration/netns.py)

REGISTERED = r"^registered as lab with relay "
# the reconnect loop says "retrying in", the session-resume loop "trying again in"
RETRYING = r"(?:retrying|trying again) in (\d+) ms"
# a connection attempt that found no relay to talk to (none listening, or one dying)
NO_RELAY = r"relay \S+(?: unreachable)?: Connection (?:refused|reset by peer)"
NO_SIGN_OF_LIFE = r"lost \(no sign of life from the peer for \d+ s\)"
# liveness takes 20-25 s to find a dead session: this only catches a hang
LIVENESS_WAIT = 120
MiB = 1024 * 1024


def curl_ok(rig, port, name, sha256):
    result = rig.curl(port, name)
    assert result.returncode == 0, describe(result)
    got = hashlib.sha256(result.stdout).hexdigest()
    assert got == sha256, f"{name}: sha256 {got} != {sha256}, {len(result.stdout)} bytes received"


def listed(rig):
    return {line.split()[0]: line for line in rig.ls()[0]}


def dialing(rig, node):
    """True while a TCP connection from `node` to the relay is in SYN-SENT."""
    result = rig.net.run(node, "ss", "-Htn", "state", "syn-sent", "dst", rig.net.ip("vps"))
    assert result.returncode == 0, describe(result)
    return bool(result.stdout.strip())


def tbf_overlimits(rig, node):
    """How often the token bucket on the node's uplink (testnet.sh rate) held a packet back."""
    result = rig.net.run(node, "tc", "-s", "qdisc", "show", "dev", "eth0")
    assert result.returncode == 0, describe(result)
    m = re.search(r"qdisc tbf .*?overlimits (\d+)", result.stdout.decode(), re.S)
    assert m, f"no token bucket on {node}'s uplink: {result.stdout.decode()}"
    return int(m.group(1))


def tcp_retransmissions(rig, node):
    """TcpRetransSegs of the node's namespace (/proc/net/snmp is per namespace)."""
    text = rig.net.run(node, "cat", "/proc/net/snmp").stdout.decode()
    head, values = [l.split() for l in text.splitlines() if l.startswith("Tcp:")][:2]
    return int(values[head.index("RetransSegs")])


# ---------------------------------------------------------------- 1. relay restart

def delay_ms(line):
    return int(re.search(RETRYING, line).group(1))


def test_relay_kill_and_restart(rig):
    """kill -9 the relay, and start it again (same port, key, config) once
    the endpoint has failed to reach it: the endpoint's retries back off as
    promised, its first attempt that reaches the new relay brings it back,
    and the same `forward` process serves a new connection by dialing again."""
    web = rig.http_server({"small.txt": 1000, "blob.bin": 1 * MiB})
    relay = rig.start_relay()
    ep = rig.start_endpoint({"web": web.addr})
    port = rig.forward("0:lab:web").port_for("lab/web")
    curl_ok(rig, port, "small.txt", web.sha256["small.txt"])

    mark = ep.count("stderr")
    relay.proc.p.kill()
    relay.proc.wait_exit()
    # it noticed (connection reset/EOF), then tried again and found no relay
    wait_for("the endpoint retried while the relay was away",
             lambda: len(ep.find(RETRYING, start=mark)) >= 2, state=ep.report)
    back = ep.count("stderr")  # the lines before this one came before the new relay
    relay = rig.start_relay()
    registered, _ = ep.wait_match(r"registered as 'lab' with relay", start=back)
    retries = [line for i, line in ep.find(RETRYING, start=mark) if i < registered]

    # Backoff promise: it restarts at 0.5 s after a registered session and
    # doubles per failure: the n-th announced delay is at most 0.5 s * 2^(n-1).
    # (Attempts that found no relay may go on after `back`: it was starting.)
    away = [line for line in retries if re.search(NO_RELAY, line)]
    assert retries[:len(away)] == away, ep.report()
    for n, line in enumerate(away, 1):
        assert delay_ms(line) <= 500 * 2 ** (n - 1), f"retry {n}: {line!r}\n{ep.report()}"
    # The first attempt that reaches the new relay brings the endpoint back:
    # either it registers, or it asks to resume the old session, which the new
    # relay does not have, and the next attempt registers (its backoff starts
    # again at 0.5 s, reset by the last registration).
    reached = retries[len(away):]
    assert len(reached) <= 1, "attempts that reached the relay and failed:\n" + ep.report()
    for line in reached:
        assert "the relay cannot resume the session: no such session" in line, ep.report()
        assert delay_ms(line) <= 500, f"{line!r}\n{ep.report()}"
    relay.proc.wait_match(r"endpoint 'lab' online from " + re.escape(rig.net.env["PUBLIC_IP"]))

    # the forward's session ended with the old relay: a new connection re-dials
    curl_ok(rig, port, "blob.bin", web.sha256["blob.bin"])
    curl_ok(rig, port, "small.txt", web.sha256["small.txt"])


# ---------------------------------------------------------------- 2. half-open, takeover

def test_half_open_session_is_found_and_healed(rig):
    """The GPU box's uplink silently drops everything (no FIN, no RST): both
    ends find the dead session by liveness, the relay drops the endpoint from
    its list, and after healing the endpoint is back."""
    relay = rig.start_relay()
    ep = rig.start_endpoint({"web": "127.0.0.1:9"})
    assert listed(rig).get("lab") == "lab web"

    rmark, emark = relay.proc.count(), ep.count()
    rig.net.fault("partition", "gpubox")
    # Liveness, not TCP, ends it: each side says so (silent for 20 s or more).
    lost, _ = relay.proc.wait_match(NO_SIGN_OF_LIFE, start=rmark, timeout=LIVENESS_WAIT)
    offline, _ = relay.proc.wait_match(r"endpoint 'lab' offline", start=rmark, timeout=LIVENESS_WAIT)
    assert lost <= offline, relay.proc.report()
    assert "lab" not in listed(rig)
    ep.wait_match(r"connection to relay \S+ " + NO_SIGN_OF_LIFE, start=emark, timeout=LIVENESS_WAIT)
    # The endpoint starts a new connection (resume or reconnect), whose SYN the
    # partition drops.
    wait_for("the endpoint dials the relay again", lambda: dialing(rig, "gpubox"), timeout=LIVENESS_WAIT,
             state=ep.report)
    assert "lab" not in listed(rig)

    rig.net.fault("heal", "gpubox")
    # Back = listed by the relay again (registered anew, or its session resumed).
    wait_for("lab listed again after healing", lambda: listed(rig).get("lab") == "lab web",
             timeout=LIVENESS_WAIT, state=ep.report)


def test_stale_session_is_replaced_at_once(rig):
    """The endpoint dies while its uplink is cut (kill -9; its FIN is
    dropped), so the relay's session for `lab` is half-open and would live up
    to 25 s. A new endpoint process with the same key connects (from another
    LAN host behind the same NAT, so the old connection stays cut and cannot
    end any other way): the relay replaces the stale session at once."""
    web = rig.http_server({"small.txt": 1000}, node="lanhost")
    relay = rig.start_relay()
    old = rig.start_endpoint({"web": "127.0.0.1:9"}, node="gpubox")
    port = rig.forward("0:lab:web").port_for("lab/web")
    assert listed(rig).get("lab") == "lab web"

    rmark = relay.proc.count()
    rig.net.fault("partition", "gpubox")
    old.p.kill()
    old.wait_exit()
    new = rig.start_endpoint({"web": web.addr}, node="lanhost", wait=False)
    new.wait_match(REGISTERED, stream="stdout")
    # Takeover promise: at once, not after liveness found the old session
    # dead: the relay replaced a session it still held, and liveness never
    # spoke (it would have ended the old session first).
    replaced = relay.proc.find(r"endpoint 'lab' .*replacing its old session", start=rmark)
    assert replaced, "the relay did not say it replaced a live session\n" + relay.proc.report()
    online = relay.proc.find(r"endpoint 'lab' online from", start=rmark)
    assert online and replaced[0][0] < online[0][0], relay.proc.report()
    assert not relay.proc.find(r"no sign of life", start=rmark), "liveness, not takeover?"

    assert listed(rig).get("lab") == "lab web"
    curl_ok(rig, port, "small.txt", web.sha256["small.txt"])  # served by the new endpoint
    rig.net.fault("heal", "gpubox")
    assert listed(rig).get("lab") == "lab web"
    curl_ok(rig, port, "small.txt", web.sha256["small.txt"])


# ---------------------------------------------------------------- 3. loss and rate

@pytest.mark.parametrize("fault", [("loss", "router", "5"), ("rate", "gpubox", "10mbit")],
                         ids=["loss5", "rate10mbit"])
def test_transfer_survives_loss_and_rate_limit(rig, fault):
    """5 MB down (HTTP) and 5 MB up (digest service) through the tunnel while
    the lab's uplink loses 5 % of the packets both ways, or the GPU box may
    send only 10 Mbit/s: every byte arrives.

    The loss is on the lab router's uplink, not on the GPU box's: a packet
    that nftables drops on the way out of its own sender is no loss to TCP
    (the send fails locally and TCP simply sends it again), so only a drop on
    a forwarding hop is real loss, for both directions."""
    web = rig.http_server({"blob.bin": 5 * MiB})
    digest = rig.digest_server()
    rig.start_relay()
    rig.start_endpoint({"web": web.addr, "digest": digest.addr})
    port = rig.forward("0:lab:web").port_for("lab/web")
    retrans = {node: tcp_retransmissions(rig, node) for node in ("gpubox", "vps")}

    kind, node, value = fault
    rig.net.fault(kind, node, value)
    held_back = tbf_overlimits(rig, node) if kind == "rate" else None
    curl_ok(rig, port, "blob.bin", web.sha256["blob.bin"])
    up = bytes(range(256)) * (5 * MiB // 256)
    result = rig.connect("digest", up, timeout=3 * COMMAND_TIMEOUT)
    assert result.returncode == 0, describe(result)
    assert result.stdout == digest_reply(up), describe(result)

    # The rig really did something (else this test would prove nothing):
    if kind == "rate":  # the token bucket held the download's packets back
        assert tbf_overlimits(rig, node) > held_back, f"{node}'s rate limit never held a packet back"
    else:  # lost segments were sent again, down (by the GPU box) and up (by the relay)
        for n in ("gpubox", "vps"):
            assert tcp_retransmissions(rig, n) > retrans[n], f"no TCP retransmission on {n}: no loss?"


# ---------------------------------------------------------------- 4. endpoint reload

def http_get(conn, path):
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


def test_endpoint_reload_adds_a_service_and_refuses_a_broken_file(rig):
    web = rig.http_server({"small.txt": 1000, "page.txt": 20000})
    digest = rig.digest_server()
    relay = rig.start_relay()
    config = rig.endpoint_toml({"web": web.addr})
    ep = rig.start_endpoint(config=config)
    port = rig.forward("0:lab:web").port_for("lab/web")

    # one keep-alive HTTP connection through the tunnel, kept open throughout
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=COMMAND_TIMEOUT)
    conn.sock = rig.net.connect("laptop", port)
    conn.auto_open = 0  # never re-dial (that would happen in the root namespace)
    assert http_get(conn, "/small.txt") == (200, (web.root / "small.txt").read_bytes())
    assert listed(rig) == {"lab": "lab web"}
    result = rig.connect("digest", b"before")
    assert result.returncode != 0 and result.stdout == b"", describe(result)

    # add a service, SIGHUP: it becomes reachable, the open connection goes on
    rmark = relay.proc.count()
    rig.endpoint_toml({"web": web.addr, "digest": digest.addr}, path=config)
    ep.signal(signal.SIGHUP)
    wait_for("digest listed after SIGHUP", lambda: listed(rig).get("lab") == "lab digest web")
    result = rig.connect("digest", b"after the reload")
    assert result.returncode == 0 and result.stdout == digest_reply(b"after the reload"), describe(result)
    assert http_get(conn, "/page.txt") == (200, (web.root / "page.txt").read_bytes())
    assert not relay.proc.find(r"endpoint 'lab' offline", start=rmark), relay.proc.report()

    # a broken file: refused, both services stay
    emark = ep.count()
    config.write_text('name = "lab"\n[services\nweb = \n')
    ep.signal(signal.SIGHUP)
    ep.wait_match(r"reload refused", start=emark)
    assert listed(rig) == {"lab": "lab digest web"}
    result = rig.connect("digest", b"after the broken file")
    assert result.returncode == 0 and result.stdout == digest_reply(b"after the broken file"), \
        describe(result)
    assert http_get(conn, "/small.txt") == (200, (web.root / "small.txt").read_bytes())
    curl_ok(rig, port, "page.txt", web.sha256["page.txt"])
    assert not relay.proc.find(r"endpoint 'lab' offline", start=rmark), relay.proc.report()
    assert ep.alive()
    conn.close()


# ---------------------------------------------------------------- 5. relay drain

class HeldService:
    """A TCP service inside a namespace, run by this process: on its one
    connection it sends `head` at once, and `tail` (then a clean close) only
    once the test calls release(). Until then the stream through burrow is
    open with nothing left to carry, whatever the buffers on the way."""

    def __init__(self, rig, node, head, tail):
        self.head, self.tail = head, tail
        self.sock = rig.net.socket(node)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(COMMAND_TIMEOUT)
        self.addr = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self._release = threading.Event()
        self.conn = None
        self.error = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            self.conn, _ = self.sock.accept()
            with self.conn:
                self.conn.sendall(self.head)
                self._release.wait()
                self.conn.sendall(self.tail)
        except OSError as e:
            self.error = e

    def release(self):
        self._release.set()

    def close(self):
        """Ends it, released or not (a tail nobody reads must not hold it)."""
        if self.conn is not None and not self._release.is_set():
            try:
                self.conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already ended by the other side
        self._release.set()
        self.sock.close()
        self.thread.join(COMMAND_TIMEOUT)


@pytest.fixture
def drain_rig(rig):
    """Relay, endpoint and forward, with lab/held a HeldService (1 MiB, then
    4 MiB once released) and lab/web an HTTP server; returns the rig's parts
    and a connection through the forward that has read the held head."""
    head, tail = bytes(range(256)) * (MiB // 256), bytes(range(255, -1, -1)) * (4 * MiB // 256)
    held = HeldService(rig, "gpubox", head, tail)
    web = rig.http_server({"small.txt": 1000})
    relay = rig.start_relay()
    rig.start_endpoint({"web": web.addr, "held": held.addr})
    fwd = rig.forward("0:lab:web", "0:lab:held")
    port = fwd.port_for("lab/web")
    curl_ok(rig, port, "small.txt", web.sha256["small.txt"])
    conn = rig.net.connect("laptop", fwd.port_for("lab/held"))
    got = b""
    while len(got) < len(head):
        chunk = conn.recv(65536)
        assert chunk, f"the held stream ended after {len(got)} bytes"
        got += chunk
    assert got == head
    yield types.SimpleNamespace(web=web, relay=relay, fwd=fwd, port=port, held=held, conn=conn)
    conn.close()
    held.close()


def relay_refuses(rig):
    """True once a TCP connection to the relay's port is refused."""
    try:
        rig.net.connect("laptop", rig.relay_port, host=rig.net.ip("vps")).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sigterm_drains_the_open_transfer_then_exits(rig, drain_rig):
    d = drain_rig
    d.relay.proc.signal(signal.SIGTERM)
    # new work is not served: a new connection is refused, a new stream through
    # the forward's existing session gets no data
    wait_for("relay port closed after SIGTERM", lambda: relay_refuses(rig))
    result = rig.burrow("ls", "--relay", rig.relay_addr, "--relay-key", d.relay.key)
    assert result.returncode != 0, describe(result)
    # (the forward holds a new connection while it looks for a relay that is
    # not going away, finds none, and resets it, saying why)
    mark = d.fwd.proc.count()
    result = rig.curl(d.port, "small.txt")
    assert result.returncode != 0 and result.stdout == b"", describe(result)
    _, line = d.fwd.proc.wait_match(r"lab/web \(from 127\.0\.0\.1:\d+\): connection reset: ", start=mark)
    assert f"connection reset: no session to relay {rig.relay_addr} within 10 s" in line, line
    # The held stream is still open, so the relay still drains.
    assert d.relay.proc.alive(), "the relay did not wait for the open stream\n" + d.relay.proc.report()

    d.held.release()
    assert recv_all(d.conn) == d.held.tail, "the open stream did not arrive whole"
    d.conn.close()  # the stream's other half ends too
    # The drain ends by itself once its last stream is done, not at the 30 s
    # drain deadline (which the relay would name).
    assert d.relay.proc.wait_exit() == 0, d.relay.proc.report()
    assert not d.relay.proc.find(r"drain deadline reached"), d.relay.proc.report()
    assert d.held.error is None, d.held.error


def test_second_sigterm_stops_at_once(rig, drain_rig):
    d = drain_rig
    d.relay.proc.signal(signal.SIGTERM)
    wait_for("relay port closed after SIGTERM", lambda: relay_refuses(rig))
    assert d.relay.proc.alive(), "the relay did not wait for the open stream\n" + d.relay.proc.report()
    d.relay.proc.signal(signal.SIGTERM)
    # "at once": while the held stream is still open (it is never released),
    # and not at the drain deadline (which the relay would name)
    status = d.relay.proc.wait_exit()
    assert status >= 0, f"the relay died of signal {-status}\n{d.relay.proc.report()}"
    assert d.relay.proc.find(r"second signal: stopping now"), d.relay.proc.report()
    assert not d.relay.proc.find(r"drain deadline reached"), d.relay.proc.report()
