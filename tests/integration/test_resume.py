"""Sessions that survive a broken transport (docs/PROTOCOL.md §3.5).

Both the client and the endpoint reach the relay through a proxy that can cut
every connection at once (RST), or refuse new ones for a while. The sessions
resume on new connections and replay what was lost, so the local programs
(ssh, scp, curl) never notice: bytes arrive complete and in order."""
import signal
import subprocess
import threading
import time
import types

import pytest

from conftest import (COMMAND_TIMEOUT, PYTHON, SUPPORT, describe, listening_port, run, sha256_file,
                      start_endpoint, start_forward)


class CutProxy:
    def __init__(self, procs, target):
        self.proc = procs.start([PYTHON, "-u", str(SUPPORT / "cut_proxy.py"), target], name="cut proxy")
        self.addr = f"127.0.0.1:{listening_port(self.proc.wait_for_line('listening on'))}"

    def cut(self):
        """Reset every connection through the proxy."""
        self.proc.p.send_signal(signal.SIGUSR1)

    def toggle_refusing(self):
        self.proc.p.send_signal(signal.SIGUSR2)


def through(relay, proxy):
    """Something with .args, as the fixtures expect of a relay, that goes through `proxy`."""
    return types.SimpleNamespace(args=["--relay", proxy.addr, "--relay-key", relay.key])


@pytest.fixture
def cut_lab(procs, keys, relay, sshd, http_server):
    """A relay, an endpoint and a forward, both of the latter behind cut proxies."""
    client_proxy, endpoint_proxy = CutProxy(procs, relay.addr), CutProxy(procs, relay.addr)
    ep = start_endpoint(procs, *through(relay, endpoint_proxy).args, "--name", "lab",
                        "--service", f"ssh={sshd.addr}", "--service", f"web={http_server.addr}",
                        env=keys.env("lab"))
    fwd = start_forward(procs, *through(relay, client_proxy).args, specs=["0:lab:ssh", "0:lab:web"],
                        env=keys.env("client"))
    return types.SimpleNamespace(relay=relay, client_proxy=client_proxy, endpoint_proxy=endpoint_proxy,
                                 endpoint=ep, forward=fwd)


def keep_cutting(proxies, stop, every=0.25):
    """Cuts the proxies' connections, in turn, until `stop` is set; returns the cut count."""
    count = [0]

    def loop():
        while not stop.wait(every):
            proxies[count[0] % len(proxies)].cut()
            count[0] += 1

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread, count


@pytest.mark.parametrize("direction", ["upload", "download"])
def test_scp_survives_repeated_cuts(cut_lab, sshd, big_file, tmp_path, burrow_env, direction):
    path, digest = big_file
    port = cut_lab.forward.port_for("lab/ssh")
    remote = tmp_path / f"{direction}.bin"
    if direction == "upload":
        argv, written = sshd.scp_argv(path, f"127.0.0.1:{remote}", port=port), remote
    else:
        argv, written = sshd.scp_argv(f"127.0.0.1:{path}", remote, port=port), remote
    stop = threading.Event()
    thread, cuts = keep_cutting([cut_lab.client_proxy, cut_lab.endpoint_proxy], stop)
    try:
        result = run(argv, burrow_env, timeout=600)
    finally:
        stop.set()
        thread.join()
    assert result.returncode == 0, describe(result) + cut_lab.forward.proc.report(tail=20)
    assert sha256_file(written) == digest
    assert cuts[0] >= 2, "the transfer ended before the proxies were cut twice: nothing was tested"
    resumed = [l for l in cut_lab.forward.proc.lines["stderr"] + cut_lab.endpoint.lines["stderr"] if "resumed" in l]
    assert resumed, "no session was resumed"


def test_interactive_ssh_survives_a_ten_second_outage(cut_lab, sshd, burrow_env):
    """An ssh session running `cat` keeps echoing across a 10 s outage of the
    client's path to the relay, during which new connections are refused."""
    port = cut_lab.forward.port_for("lab/ssh")
    ssh = subprocess.Popen(sshd.ssh_argv("cat", port=port), env=burrow_env, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        def echo(line):
            ssh.stdin.write(line)
            ssh.stdin.flush()
            got = ssh.stdout.readline()
            assert got == line, f"sent {line!r}, got {got!r}"

        echo(b"before the outage\n")
        cut_lab.client_proxy.toggle_refusing()
        cut_lab.client_proxy.cut()
        time.sleep(10)
        # typed during the outage: it waits in the client's session
        ssh.stdin.write(b"typed during the outage\n")
        ssh.stdin.flush()
        cut_lab.client_proxy.toggle_refusing()
        got = ssh.stdout.readline()
        assert got == b"typed during the outage\n", got
        echo(b"after the outage\n")
    finally:
        ssh.stdin.close()
        try:
            ssh.wait(COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            ssh.kill()
    assert ssh.returncode == 0, ssh.stderr.read()
    assert any("resumed" in l for l in cut_lab.forward.proc.lines["stderr"]), cut_lab.forward.proc.report()
