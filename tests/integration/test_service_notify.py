"""Readiness for systemd (Type=notify units, deploy/systemd): burrow sends
READY=1 to $NOTIFY_SOCKET once the relay listens, once the endpoint has
registered and once a forward listens, and STOPPING=1 when it starts to drain.
The test plays the service manager: it binds the datagram socket (a path, or
an abstract '@name') and reads what arrives. The socket keeps the order of
what was sent, so "no READY before X" is asserted by reading X next."""
import secrets
import signal
import socket

import pytest

from conftest import COMMAND_TIMEOUT, start_endpoint, start_forward

WAIT = COMMAND_TIMEOUT


class Notifications:
    """A Unix datagram socket standing in for systemd's notify socket."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address if not address.startswith("@") else "\0" + address[1:])
        self.address = address

    def next(self, timeout=WAIT):
        self.sock.settimeout(timeout)
        return self.sock.recv(4096).decode()

    def close(self):
        self.sock.close()


@pytest.fixture(params=["path", "abstract"])
def notify(request, tmp_path):
    address = (str(tmp_path / "notify.sock") if request.param == "path"
               else f"@burrow-test-{secrets.token_hex(6)}")
    n = Notifications(address)
    yield n
    n.close()


def test_relay_is_ready_once_it_listens_and_says_when_it_drains(make_relay, notify):
    relay = make_relay(env={"NOTIFY_SOCKET": notify.address})
    assert notify.next() == "READY=1"
    socket.create_connection(("127.0.0.1", relay.port), timeout=WAIT).close()

    relay.proc.p.send_signal(signal.SIGTERM)
    assert notify.next() == "STOPPING=1"
    assert relay.proc.wait_exit() == 0


def test_endpoint_is_ready_once_registered(relay, procs, keys, notify, burrow, reserve_port):
    # a relay that is not there: the endpoint runs, retrying, but is not ready:
    # after two failed tries and its stop, the first notification is STOPPING
    nowhere = start_endpoint(procs, "--relay", f"127.0.0.1:{reserve_port()}", "--relay-key", relay.key,
                             "--name", "lab", env=keys.env("lab", NOTIFY_SOCKET=notify.address), wait=False)
    nowhere.wait_for_lines(contains="retrying in", n=2, stream="stderr")
    assert nowhere.alive()
    nowhere.stop()
    assert notify.next() == "STOPPING=1"

    start_endpoint(procs, *relay.args, "--name", "lab", "--service", "web=127.0.0.1:1", wait=False,
                   env=keys.env("lab", NOTIFY_SOCKET=notify.address))
    assert notify.next() == "READY=1"
    listed = burrow("ls", *relay.args)
    assert listed.stdout.decode().split() == ["lab", "web"], listed


def test_forward_is_ready_once_every_port_listens(relay, endpoint, procs, keys, notify):
    endpoint({"web": "127.0.0.1:1", "ssh": "127.0.0.1:2"})
    fwd = start_forward(procs, *relay.args, specs=["0:lab:web", "0:lab:ssh"],
                        env=keys.env("client", NOTIFY_SOCKET=notify.address))
    assert notify.next() == "READY=1"
    for port in fwd.ports.values():
        socket.create_connection(("127.0.0.1", port), timeout=WAIT).close()
    # one READY for all the ports: the next notification is the stop's
    fwd.proc.p.send_signal(signal.SIGTERM)
    assert notify.next() == "STOPPING=1"
    assert fwd.proc.wait_exit() == 0, fwd.proc.report()
