"""What a relay reload and the per-key session cap do to sessions that are
live and to sessions that are suspended (docs/PROTOCOL.md §3.6).

The client reaches the relay through a proxy that can cut its connection and
refuse new ones for a while, so its session is suspended on the relay while
the configuration changes."""
import socket
import socketserver
import threading

import pytest

from conftest import COMMAND_TIMEOUT, describe, start_endpoint, start_forward
from test_resume import CutProxy, through


class EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            while chunk := self.request.recv(65536):
                self.request.sendall(chunk)


@pytest.fixture
def echo():
    server = EchoServer(("127.0.0.1", 0), EchoServer.Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=COMMAND_TIMEOUT)


def echoes(conn, data):
    conn.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = conn.recv(65536)
        assert chunk, f"connection ended after {got!r}"
        got += chunk
    assert got == data


def cut_off(conn):
    """The stream was ended by the relay: nothing more arrives, and the end is a reset."""
    try:
        conn.sendall(b"anyone there?")
        assert conn.recv(65536) == b"", "a revoked stream still carries bytes"
        pytest.fail("a revoked stream ended with a plain end of stream, not a reset")
    except ConnectionResetError:
        pass


def test_reload_closes_exactly_the_streams_a_narrowed_grant_no_longer_covers(make_relay, procs, keys, echo):
    relay = make_relay(clients={"client": ["lab/*"]})
    proxy = CutProxy(procs, relay.addr)
    start_endpoint(procs, *relay.args, "--name", "lab", "--service", f"web={echo}", "--service", f"ssh={echo}",
                   env=keys.env("lab"))
    fwd = start_forward(procs, *through(relay, proxy).args, specs=["0:lab:web", "0:lab:ssh"],
                        env=keys.env("client"))
    web, ssh = connect(fwd.port_for("lab/web")), connect(fwd.port_for("lab/ssh"))
    echoes(web, b"web, before")
    echoes(ssh, b"ssh, before")

    # A live session: the stream to lab/ssh ends, the one to lab/web goes on.
    relay.rewrite(clients={"client": ["lab/web"]})
    relay.reload()
    relay.proc.wait_for_line(contains="1 stream(s) closed", stream="stderr")
    cut_off(ssh)
    echoes(web, b"web, after the first reload")

    relay.rewrite(clients={"client": ["lab/*"]})
    relay.reload()
    relay.proc.wait_for_lines(contains="relay: configuration reloaded", n=2, stream="stderr")
    ssh = connect(fwd.port_for("lab/ssh"))
    echoes(ssh, b"ssh, granted again")

    # A suspended session: the client's connection is cut and it cannot come back yet.
    proxy.toggle_refusing()
    proxy.cut()
    relay.proc.wait_for_line(contains="transport lost", stream="stderr")
    relay.rewrite(clients={"client": ["lab/web"]})
    relay.reload()
    lines = relay.proc.wait_for_lines(contains="relay: configuration reloaded", n=3, stream="stderr")
    assert "0 session(s) and 1 stream(s) closed" in lines[-1], relay.proc.report()
    proxy.toggle_refusing()
    fwd.proc.wait_for_line(contains="resumed (", stream="stderr")
    cut_off(ssh)
    echoes(web, b"web, after the session came back")
    ssh_again = connect(fwd.port_for("lab/ssh"))
    cut_off(ssh_again)  # no longer granted: refused, the local connection reset
    assert fwd.proc.alive(), fwd.proc.report()


def test_a_key_holds_at_most_max_sessions_per_key(make_relay, procs, keys, burrow, echo):
    relay = make_relay(clients={"client": ["lab/*"]}, limits={"max_sessions_per_key": 2})
    start_endpoint(procs, *relay.args, "--name", "lab", "--service", f"web={echo}", env=keys.env("lab"))
    proxy = CutProxy(procs, relay.addr)
    first = start_forward(procs, *through(relay, proxy).args, specs=["0:lab:web"], env=keys.env("client"))
    second = start_forward(procs, *relay.args, specs=["0:lab:web"], env=keys.env("client"))
    with connect(first.port_for("lab/web")) as a, connect(second.port_for("lab/web")) as b:
        echoes(a, b"first")
        echoes(b, b"second")

    third = burrow("connect", *relay.args, "lab", "web", input=b"third", env=keys.env("client"))
    assert third.returncode != 0, describe(third)
    assert "already has 2 sessions on this relay (max_sessions_per_key)" in third.stderr.decode(), describe(third)
    relay.proc.wait_for_line(contains="refused a session from", stream="stderr")

    # A suspended session gives way to a new one of the same key.
    proxy.toggle_refusing()
    proxy.cut()
    relay.proc.wait_for_line(contains="transport lost", stream="stderr")
    fourth = burrow("connect", *relay.args, "lab", "web", input=b"fourth", env=keys.env("client"))
    assert fourth.returncode == 0 and fourth.stdout == b"fourth", describe(fourth)
    relay.proc.wait_for_line(contains="closing suspended session", stream="stderr")
    with connect(second.port_for("lab/web")) as b:
        echoes(b, b"the live one goes on")


def test_reload_closes_a_suspended_endpoint_whose_name_moved_to_another_key(make_relay, procs, keys, echo):
    relay = make_relay(clients={"client": ["lab/*"]})
    proxy = CutProxy(procs, relay.addr)
    endpoint = start_endpoint(procs, *through(relay, proxy).args, "--name", "lab", "--service", f"web={echo}",
                              env=keys.env("lab"))
    proxy.toggle_refusing()
    proxy.cut()
    relay.proc.wait_for_line(contains="endpoint 'lab' offline: its connection broke", stream="stderr")
    relay.rewrite(endpoints={"lab": "gpu"})  # the name now belongs to another key, and lab's key to none
    relay.reload()
    line = relay.proc.wait_for_line(contains="relay: configuration reloaded", stream="stderr")
    assert "(1 session(s) and 0 stream(s) closed)" in line, relay.proc.report()
    proxy.toggle_refusing()
    # Its session is gone: the resume is refused, and so is its key on a new session.
    endpoint.wait_for_line(contains="the relay cannot resume the session", stream="stderr")
    relay.proc.wait_for_line(contains="key not in this relay's config", stream="stderr")
    endpoint.wait_for_line(contains="is not allowed on this relay", stream="stderr")
