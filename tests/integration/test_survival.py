"""Staying connected through the faults of real networks: a NAT rebinding on
the lab router, and the laptop's link going down for 10 s, each during an
interactive ssh session and during a 100 MB scp (tests/integration/netns.py,
tests/support/testnet.sh). The relay runs on the VPS, the endpoint and a real
sshd on the GPU box behind the router's NAT, ssh and scp on the laptop, through `burrow
connect` as ProxyCommand or through `burrow forward`.

What must hold is what a user sees: the ssh process goes on and echoes what
is typed, scp exits 0 and the copy has the same sha256. Where burrow's own
logs can show how (a session suspended and resumed on a new connection, not
plain TCP retransmission), the test checks that too. No timing is asserted:
the 10 s of an outage are the fault's length, and a test waits for events.
"""
import subprocess
import time
import types

import pytest

from conftest import COMMAND_TIMEOUT, sha256_file, wait_for
pytest_plugins = ["netns"]  # the mknet and rig fixtures (tests/integration/netns.py)

MiB = 1024 * 1024
OUTAGE = 10  # seconds the laptop's link stays down: below liveness's 20 s, so burrow may not notice
TRANSFER_TIMEOUT = 180  # a hang fails; a healthy 100 MB copy here takes a few seconds
# what burrow logs (io/session.cpp, io/resume.cpp, endpoint/endpoint.cpp, client/relay_link.cpp,
# relay/relay.cpp) when a transport breaks and when a session is resumed on a new one
LOST = r"transport lost \(|connection to relay \S+ lost"
SESSION_RESUMED = r"session \S+: resumed \(\d+ bytes replayed\)"
ENDPOINT_RESUMED = r"session to relay \S+ resumed"
RELAY_RESUMED_ENDPOINT = r"relay: session of endpoint lab \(.*\) resumed from "


@pytest.fixture
def gpu_lab(rig, sshd):
    """Relay on the VPS; a real sshd on the GPU box and endpoint `lab`
    publishing it as `ssh`."""
    relay = rig.start_relay()
    gpu_sshd = rig.sshd(sshd)
    endpoint = rig.start_endpoint({"ssh": gpu_sshd.addr})
    return types.SimpleNamespace(relay=relay, sshd=gpu_sshd, endpoint=endpoint)


class Shell:
    """ssh from the laptop running `cat` on the GPU box, through `burrow
    connect` as ProxyCommand (its log lines land on ssh's stderr)."""

    def __init__(self, rig, gpu_sshd):
        self.proc = rig.start("laptop", gpu_sshd.ssh_argv("cat", relay=rig.relay), "ssh cat (laptop)",
                              env=rig.keys.env("client"), stdin=subprocess.PIPE)

    def type(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def expect(self, line, timeout=COMMAND_TIMEOUT):
        got = self.proc.wait_for_line(line, timeout=timeout)
        assert got == line, self.proc.report()
        assert self.proc.lines["stdout"].count(line) == 1, self.proc.report()

    def echo(self, line):
        self.type(line)
        self.expect(line)

    def close(self):
        """The session is still there, then ends as the user ends it: EOF, exit 0."""
        assert self.proc.alive(), "ssh exited\n" + self.proc.report()
        self.proc.stdin.close()
        assert self.proc.wait_exit() == 0, self.proc.report()


def link_down(rig, node):
    out = rig.net.run(node, "ip", "-o", "link", "show", "eth0").stdout.decode()
    return "state DOWN" in out


class LinkOutage:
    """The laptop's link goes down now (`testnet.sh link laptop down`) and
    comes up again at end(), OUTAGE seconds after it went down."""

    def __init__(self, rig, node="laptop"):
        self.rig, self.node = rig, node
        rig.net.fault("link", node, "down")
        self.since = time.monotonic()
        assert link_down(rig, node)

    def end(self):
        assert link_down(self.rig, self.node), "the link came up by itself"
        time.sleep(max(0.0, self.since + OUTAGE - time.monotonic()))  # the fault's length, not a check
        self.rig.net.fault("link", self.node, "up")


def queued_to(rig, node, host):
    """Bytes the node's TCP connections to `host` sent and had no ACK for."""
    result = rig.net.run(node, "ss", "-Htn", "state", "established", "dst", host)
    return sum(int(line.split()[1]) for line in result.stdout.decode().splitlines() if line.strip())


def marks(*procs):
    return [p.count("stderr") for p in procs]


def resumed_if_noticed(procs, starts):
    """A 10 s flap can end before burrow's liveness limit (20 s silent): TCP
    then retransmits what was lost and burrow never sees a break, which is
    fine. If a side did see the transport break, its session must have been
    resumed (not replaced by a new one: that would have reset the streams).
    Returns whether burrow noticed."""
    noticed = False
    for proc, start in zip(procs, starts):
        if proc.find(LOST, start=start):
            noticed = True
            proc.wait_match(SESSION_RESUMED, start=start, timeout=COMMAND_TIMEOUT)
    return noticed


# ---------------------------------------------------------------- scp

def scp_in_background(rig, gpu_sshd, port, big_file, tmp_path, direction):
    """scp of the 100 MB file from the laptop through `burrow forward`;
    returns (process, the file it writes)."""
    path, _ = big_file
    written = tmp_path / f"{direction}.bin"
    if direction == "upload":  # sshd on the GPU box writes it
        argv = gpu_sshd.scp_argv(path, f"127.0.0.1:{written}", port=port)
    else:
        argv = gpu_sshd.scp_argv(f"127.0.0.1:{path}", written, port=port)
    proc = rig.start("laptop", argv, f"scp {direction} (laptop)", env=rig.keys.env("client"))
    return proc, written


def wait_for_progress(scp, written, size=20 * MiB):
    """Until the copy is really under way (`size` bytes written)."""
    wait_for(f"scp wrote {size} bytes",
             lambda: (written.exists() and written.stat().st_size >= size) or not scp.alive())
    assert scp.alive(), "scp ended before the fault: " + scp.report()
    assert written.stat().st_size < 100 * MiB


def assert_copied(scp, written, big_file):
    assert scp.wait_exit(TRANSFER_TIMEOUT) == 0, scp.report()
    size = written.stat().st_size
    assert sha256_file(written) == big_file[1], f"{size} bytes, sha256 differs"


@pytest.fixture
def ssh_forward(rig, gpu_lab):
    """A `burrow forward` on the laptop to lab/ssh; the laptop and the GPU
    box may send 200 Mbit/s, so that 100 MB take about 4 s."""
    fwd = rig.forward("0:lab:ssh")
    rig.net.fault("rate", "laptop", "200mbit")
    rig.net.fault("rate", "gpubox", "200mbit")
    return fwd


# ---------------------------------------------------------------- 1, 2. NAT rebinding

def test_ssh_session_survives_nat_rebinding(rig, gpu_lab):
    """The lab router maps the endpoint's connection to a new port and forgets
    the old one: the relay resets the connection the new port speaks on, the
    endpoint resumes its session on a new one, and the user's ssh goes on."""
    shell = Shell(rig, gpu_lab.sshd)
    shell.echo("before the rebinding")
    emark, rmark = marks(gpu_lab.endpoint, rig.relay.proc)

    rig.net.fault("rebind")
    shell.echo("typed after the rebinding")
    # burrow noticed: the relay's next packet to the old port meets a router
    # that no longer knows it (reset), and the endpoint's next one (at the
    # latest its PING, every 5 s) leaves from a new port, which the relay resets.
    gpu_lab.endpoint.wait_match(ENDPOINT_RESUMED, start=emark)
    rig.relay.proc.wait_match(RELAY_RESUMED_ENDPOINT, start=rmark)
    shell.echo("typed after the session resumed")
    assert not gpu_lab.endpoint.find(r"retrying in", start=emark), "a new session, not a resumed one"
    shell.close()


@pytest.mark.parametrize("direction", ["upload", "download"])
def test_scp_survives_nat_rebinding(rig, gpu_lab, ssh_forward, big_file, tmp_path, direction):
    port = ssh_forward.port_for("lab/ssh")
    scp, written = scp_in_background(rig, gpu_lab.sshd, port, big_file, tmp_path, direction)
    wait_for_progress(scp, written)
    emark, rmark = marks(gpu_lab.endpoint, rig.relay.proc)

    rig.net.fault("rebind")
    assert scp.alive(), "scp ended before the rebinding took effect: " + scp.report()
    assert_copied(scp, written, big_file)
    gpu_lab.endpoint.wait_match(ENDPOINT_RESUMED, start=emark)
    rig.relay.proc.wait_match(RELAY_RESUMED_ENDPOINT, start=rmark)
    assert not gpu_lab.endpoint.find(r"retrying in", start=emark), "a new session, not a resumed one"


# ---------------------------------------------------------------- 3, 4. the laptop's link flaps

def test_ssh_session_survives_laptop_link_flap(rig, gpu_lab):
    shell = Shell(rig, gpu_lab.sshd)
    shell.echo("before the flap")
    starts = marks(shell.proc, rig.relay.proc)

    outage = LinkOutage(rig)
    shell.type("typed during the outage")
    # The outage cuts the path: what was typed waits in the laptop, unacknowledged.
    wait_for("bytes waiting in the laptop for the relay", lambda: queued_to(rig, "laptop", rig.net.ip("vps")),
             state=shell.proc.report)
    assert "typed during the outage" not in shell.proc.lines["stdout"], shell.proc.report()
    outage.end()
    shell.expect("typed during the outage")
    shell.echo("typed after the outage")
    resumed_if_noticed([shell.proc, rig.relay.proc], starts)
    shell.close()


@pytest.mark.parametrize("direction", ["upload", "download"])
def test_scp_survives_laptop_link_flap(rig, gpu_lab, ssh_forward, big_file, tmp_path, direction):
    fwd = ssh_forward.proc
    port = ssh_forward.port_for("lab/ssh")
    scp, written = scp_in_background(rig, gpu_lab.sshd, port, big_file, tmp_path, direction)
    wait_for_progress(scp, written)
    starts = marks(fwd, rig.relay.proc)

    outage = LinkOutage(rig)
    assert scp.alive(), "scp ended before the outage: " + scp.report()
    outage.end()
    assert_copied(scp, written, big_file)
    resumed_if_noticed([fwd, rig.relay.proc], starts)
