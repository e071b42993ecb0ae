"""A stream cut short never looks complete (docs/PROTOCOL.md §4.6, §7.8).

When a stream ends without the peer's end of stream — a RESET (here: a
service or a -L program that resets its connection), or a session that dies
and cannot resume — each end's local connection is reset (RST), never ended
with a FIN: the program and the service hold a prefix of what was sent and
can tell it is not the whole. The service is tests/support/ending_server.py,
which prints how each of its connections ended."""
import socket
import struct
import subprocess
import sys
import threading

import pytest

from conftest import BURROW, COMMAND_TIMEOUT, PYTHON, SUPPORT, Service, describe

sys.path.insert(0, str(SUPPORT))
from ending_server import pattern, pattern_at  # noqa: E402  (what the service sends and expects)

MiB = 1024 * 1024
ENDLESS = str(1 << 40)  # --send: more than any test moves


def start_service(procs, *args):
    return Service(procs.start([PYTHON, SUPPORT / "ending_server.py", *args], name="ending_server"))


def sent(service, k):
    """(bytes connection k's service sent, why it stopped: done, stalled or error)."""
    _, _, n, why = service.proc.wait_for_line(f"sent {k} ", timeout=COMMAND_TIMEOUT).split()
    return int(n), why


def ending(service, k):
    """How connection k's input ended at the service: (eof or reset, bytes, intact or altered)."""
    _, _, how, n, intact = service.proc.wait_for_line(f"end {k} ", timeout=COMMAND_TIMEOUT).split()
    return how, int(n), intact


def read_to_end(sock, got=b""):
    """Reads until the input ends: (everything read, "eof" or "reset")."""
    sock.settimeout(COMMAND_TIMEOUT)
    chunks = [got]
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        return b"".join(chunks), "reset"
    return b"".join(chunks), "eof"


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def assert_strict_prefix(got, total, who):
    assert len(got) < total, f"{who} got all {total} bytes: nothing was cut"
    assert got == pattern(len(got)), f"{who}: the {len(got)} bytes are not the first bytes sent"


def start_resetting_service(procs):
    """A service that sends until the path is full (nothing is read at the
    other end), then resets its connection: what it had sent but not yet
    handed on is lost with the reset."""
    return start_service(procs, "--send", ENDLESS, "--stall", "1", "--then", "rst")


def wait_for_reset(service):
    total, why = sent(service, 1)
    assert why == "stalled", service.proc.report()
    service.proc.wait_for_line("rst 1")
    return total


@pytest.mark.parametrize("e2e", ["on", "off"])
def test_a_service_reset_reaches_the_forward_program_as_a_reset(procs, relay, endpoint, forward, e2e):
    service = start_resetting_service(procs)
    endpoint({"cut": f"{service.addr},e2e={e2e}"})
    port = forward("0:lab:cut").port_for("lab/cut")
    with socket.create_connection(("127.0.0.1", port), timeout=COMMAND_TIMEOUT) as s:
        total = wait_for_reset(service)
        got, end = read_to_end(s)
    assert end == "reset", f"a clean end of stream after {len(got)} of the {total} bytes sent"
    assert_strict_prefix(got, total, "the -L program")


def test_a_service_reset_fails_burrow_connect(procs, relay, endpoint, burrow_env):
    """stdout cannot carry a reset: burrow connect closes it after the prefix
    and says so by its exit status."""
    service = start_resetting_service(procs)
    endpoint({"cut": service.addr})
    connect = subprocess.Popen([BURROW, "connect", *relay.args, "lab", "cut"], env=burrow_env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        total = wait_for_reset(service)
        out, err = connect.communicate(timeout=COMMAND_TIMEOUT)
    finally:
        if connect.poll() is None:
            connect.kill()
            connect.communicate()
    result = subprocess.CompletedProcess(connect.args, connect.returncode, out, err)
    assert connect.returncode == 1, describe(result)
    assert b"reset" in err, describe(result)
    assert_strict_prefix(out, total, "burrow connect's stdout")


def test_a_program_reset_reaches_the_service_as_a_reset(procs, relay, endpoint, forward):
    service = start_service(procs, "--echo")
    endpoint({"rec": service.addr})
    port = forward("0:lab:rec").port_for("lab/rec")
    data = pattern(1 * MiB)
    s = socket.create_connection(("127.0.0.1", port), timeout=COMMAND_TIMEOUT)
    try:
        s.sendall(data)
        echoed = b""
        while len(echoed) < len(data):  # back from the service: it has read them all
            chunk = s.recv(65536)
            assert chunk, f"the connection ended after {len(echoed)} bytes echoed"
            echoed += chunk
        assert echoed == data
    finally:
        reset(s)
    how, n, intact = ending(service, 1)
    assert how == "reset", f"the service got a clean end of stream after {n} bytes"
    assert (n, intact) == (len(data), "intact")


def test_a_session_that_dies_resets_both_ends(procs, make_relay, endpoint, forward, reserve_port):
    """kill -9 the relay in the middle of a transfer both ways, and start a new
    one on the same port with the same key: it does not know the old sessions
    and refuses their RESUME, so the streams die with them."""
    port = reserve_port()  # held: no one takes it while the relay is down
    relay = make_relay(listen=f"127.0.0.1:{port}")
    service = start_service(procs, "--send", ENDLESS)
    endpoint({"both": service.addr}, relay=relay)
    fwd = forward("0:lab:both", relay=relay)
    s = socket.create_connection(("127.0.0.1", fwd.port_for("lab/both")), timeout=COMMAND_TIMEOUT)
    uploaded, upload_error = [0], [None]

    def upload():
        try:
            while True:
                uploaded[0] += s.send(pattern_at(uploaded[0], 65536))
        except OSError as e:
            upload_error[0] = e

    uploader = threading.Thread(target=upload, daemon=True)
    uploader.start()
    try:
        got = b""
        while len(got) < 4 * MiB:
            chunk = s.recv(65536)
            assert chunk, f"the download ended after {len(got)} bytes"
            got += chunk
        relay.proc.p.kill()
        relay.proc.wait_exit()
        make_relay(listen=f"127.0.0.1:{port}")
        got, end = read_to_end(s, got)
        uploader.join(COMMAND_TIMEOUT)
        assert not uploader.is_alive(), "the upload still goes on"
    finally:
        s.close()
    # The reset is reported once, to the first call: a send that gets it
    # leaves recv an end of stream (which a FIN would not have made a reset).
    if isinstance(upload_error[0], ConnectionResetError):
        end = "reset"
    how, n, intact = ending(service, 1)
    assert (end, how) == ("reset", "reset"), \
        f"the -L program's connection ended with {end} after {len(got)} bytes, the service's with {how} after {n}"
    down_total, _ = sent(service, 1)
    assert_strict_prefix(got, down_total, "the -L program")
    assert intact == "intact" and n < uploaded[0], f"the service got {n} {intact} bytes of {uploaded[0]} sent"
