"""Sessions that survive a broken transport (docs/PROTOCOL.md §3.6).

Both the client and the endpoint reach the relay through a proxy that can cut
every connection at once (RST), or refuse new ones for a while. The sessions
resume on new connections and replay what was lost, so the local programs
(ssh, scp, curl) never notice: bytes arrive complete and in order. The cuts
follow events (progress of a copy, failed retries), not the clock."""
import hashlib
import re
import signal
import subprocess
import threading
import types

import pytest

from conftest import (COMMAND_TIMEOUT, PYTHON, SUPPORT, describe, listening_port, run, sha256_file,
                      start_endpoint, start_forward)


class CutProxy:
    def __init__(self, procs, target, capture=None):
        argv = [PYTHON, "-u", str(SUPPORT / "cut_proxy.py"), target] + ([str(capture)] if capture else [])
        self.proc = procs.start(argv, name="cut proxy")
        self.addr = f"127.0.0.1:{listening_port(self.proc.wait_for_line('listening on'))}"

    def cut(self):
        """Reset every connection through the proxy."""
        self.proc.p.send_signal(signal.SIGUSR1)

    def toggle_refusing(self):
        self.proc.p.send_signal(signal.SIGUSR2)

    def flip_next(self):
        """Flip a bit in the next chunk toward the relay."""
        self.proc.p.send_signal(signal.SIGHUP)


def through(relay, proxy):
    """Something with .args, as the fixtures expect of a relay, that goes through `proxy`."""
    return types.SimpleNamespace(args=["--relay", proxy.addr, "--relay-key", relay.key])


@pytest.fixture
def cut_lab(procs, keys, relay, sshd, http_server):
    """A relay, an endpoint and a forward, both of the latter behind cut
    proxies. `web` is end-to-end encrypted, `plainweb` (the same server) is not."""
    client_proxy, endpoint_proxy = CutProxy(procs, relay.addr), CutProxy(procs, relay.addr)
    ep = start_endpoint(procs, *through(relay, endpoint_proxy).args, "--name", "lab",
                        "--service", f"ssh={sshd.addr}", "--service", f"web={http_server.addr}",
                        "--service", f"plainweb={http_server.addr},e2e=off", env=keys.env("lab"))
    fwd = start_forward(procs, *through(relay, client_proxy).args,
                        specs=["0:lab:ssh", "0:lab:web", "0:lab:plainweb"], env=keys.env("client"))
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


def cut_as_it_grows(proxies, path, size, stop, step=4 * 1024 * 1024):
    """Cuts the proxies' connections, in turn, each time the file at `path`
    has grown by `step` bytes more (and is not whole yet), until `stop` is set:
    every cut lands on a copy under way. Returns the thread and the cut count."""
    count = [0]

    def loop():
        next_at = step
        while not stop.wait(0.02):
            have = path.stat().st_size if path.exists() else 0
            if next_at <= have < size:
                proxies[count[0] % len(proxies)].cut()
                count[0] += 1
                next_at = have + step

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
    thread, cuts = cut_as_it_grows([cut_lab.client_proxy, cut_lab.endpoint_proxy], written, path.stat().st_size,
                                   stop)
    try:
        result = run(argv, burrow_env, timeout=600)
    finally:
        stop.set()
        thread.join()
    assert result.returncode == 0, describe(result) + cut_lab.forward.proc.report(tail=20)
    assert sha256_file(written) == digest
    assert cuts[0] >= 2, f"{cuts[0]} cut(s) during the copy: nothing was tested"
    # Both sessions were cut, and each resumed (a new session would have reset the stream).
    for proc in (cut_lab.forward.proc, cut_lab.endpoint):
        assert any("resumed" in l for l in proc.lines["stderr"]), "no session resumed\n" + proc.report()


def test_interactive_ssh_survives_an_outage(cut_lab, sshd, burrow_env):
    """An ssh session running `cat` keeps echoing across an outage of the
    client's path to the relay, during which new connections are refused: it
    lasts until the forward has failed to get back three times."""
    port = cut_lab.forward.port_for("lab/ssh")
    fwd = cut_lab.forward.proc
    ssh = subprocess.Popen(sshd.ssh_argv("cat", port=port), env=burrow_env, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        def echo(line):
            ssh.stdin.write(line)
            ssh.stdin.flush()
            got = ssh.stdout.readline()
            assert got == line, f"sent {line!r}, got {got!r}"

        echo(b"before the outage\n")
        retries = len([l for l in fwd.lines["stderr"] if "trying again" in l])
        cut_lab.client_proxy.toggle_refusing()
        cut_lab.client_proxy.cut()
        fwd.wait_for_lines(contains="trying again", n=retries + 3, stream="stderr")
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
    assert any("resumed" in l for l in fwd.lines["stderr"]), fwd.report()


def test_curl_download_survives_cuts(cut_lab, http_server):
    """Downloads started while both hops are cut every 50 ms, in turn: some
    start while a session is suspended, and wait for it (below). Five at
    least, and more until each proxy was cut at least once."""
    port = cut_lab.forward.port_for("lab/web")
    stop = threading.Event()
    thread, cuts = keep_cutting([cut_lab.client_proxy, cut_lab.endpoint_proxy], stop, every=0.05)
    downloads = 0
    try:
        while downloads < 5 or cuts[0] < 2:
            result = run(["curl", "-sS", "-m", "60", f"http://127.0.0.1:{port}/blob.bin"], None)
            assert result.returncode == 0, describe(result) + cut_lab.forward.proc.report(tail=20)
            assert hashlib.sha256(result.stdout).hexdigest() == http_server.sha256["blob.bin"]
            downloads += 1
    finally:
        stop.set()
        thread.join()


def test_altered_link_bytes_cost_only_a_reconnect(cut_lab, http_server):
    """A bit flipped on the wire between the endpoint and the relay, in bytes
    the link seals (a stream without end-to-end records), fails the link's
    record authentication (docs/PROTOCOL.md §1.3): the relay drops that
    connection, the session resumes on a new one and replays what was lost,
    so the download arrives intact and nothing altered is delivered."""
    port = cut_lab.forward.port_for("lab/plainweb")
    cut_lab.endpoint_proxy.flip_next()
    result = run(["curl", "-sS", "-m", "60", f"http://127.0.0.1:{port}/blob.bin"], None)
    assert result.returncode == 0, describe(result) + cut_lab.relay.proc.report(tail=20)
    assert hashlib.sha256(result.stdout).hexdigest() == http_server.sha256["blob.bin"]
    cut_lab.endpoint_proxy.proc.wait_for_line("flipped a bit")
    lost = cut_lab.relay.proc.wait_for_line(contains="transport lost (link: ", stream="stderr")
    assert "a record failed authentication" in lost or "larger than allowed" in lost, lost
    cut_lab.endpoint.wait_for_line(contains="resumed", stream="stderr")


# ---------------------------------------------------------------- new streams while a session is suspended

def cut_endpoint_off(cut_lab):
    """The endpoint's connection is reset and new ones are refused: its session
    is suspended on both sides and cannot resume until let_endpoint_back()."""
    cut_lab.endpoint_proxy.toggle_refusing()
    cut_lab.endpoint_proxy.cut()
    cut_lab.relay.proc.wait_for_line(contains="endpoint 'lab' offline: its connection broke", stream="stderr")


def test_new_stream_waits_for_a_reconnecting_endpoint(cut_lab, procs, http_server, tmp_path):
    """A download started while the endpoint's session is suspended is held by
    the relay (not refused) and goes through once the session resumes."""
    port = cut_lab.forward.port_for("lab/web")
    cut_endpoint_off(cut_lab)
    out = tmp_path / "blob.bin"
    curl = procs.start(["curl", "-sS", "--max-time", str(COMMAND_TIMEOUT), "-o", out,
                        f"http://127.0.0.1:{port}/blob.bin"], name="curl")
    cut_lab.relay.proc.wait_for_line(contains="endpoint 'lab' is reconnecting; the stream waits", stream="stderr")
    assert curl.alive(), curl.report()
    cut_lab.endpoint_proxy.toggle_refusing()
    assert curl.wait_exit() == 0, curl.report()
    assert sha256_file(out) == http_server.sha256["blob.bin"]
    cut_lab.relay.proc.wait_for_line(contains="endpoint 'lab' online again (resumed)", stream="stderr")


def test_new_stream_to_an_endpoint_that_stays_away_is_refused(cut_lab, burrow_env):
    """... and refused, with the reason, if the endpoint does not come back
    within the relay's hold (10 s)."""
    port = cut_lab.forward.port_for("lab/web")
    cut_endpoint_off(cut_lab)
    result = run(["curl", "-sS", "--max-time", str(COMMAND_TIMEOUT), f"http://127.0.0.1:{port}/small.txt"],
                 burrow_env)
    assert result.returncode != 0 and result.stdout == b"", describe(result)
    cut_lab.relay.proc.wait_for_line(contains="endpoint 'lab' did not come back in time", stream="stderr")
    cut_lab.forward.proc.wait_for_line(
        contains="endpoint 'lab' is offline: its connection broke and it did not come back within 10 s",
        stream="stderr")
    cut_lab.endpoint_proxy.toggle_refusing()  # back: new streams go through again
    cut_lab.relay.proc.wait_for_line(contains="endpoint 'lab' online again (resumed)", stream="stderr")
    result = run(["curl", "-sS", "--max-time", str(COMMAND_TIMEOUT), f"http://127.0.0.1:{port}/small.txt"],
                 burrow_env)
    assert result.returncode == 0 and result.stdout == b"hello from the lab web server\n", describe(result)


def test_new_connection_waits_for_the_forwards_session_to_resume(cut_lab, procs, http_server, tmp_path):
    """A connection made to `burrow forward` while its session is suspended
    (the client's path to the relay is down) waits for that session to resume
    and goes through on it, instead of failing on a fresh dial."""
    port = cut_lab.forward.port_for("lab/web")
    fwd = cut_lab.forward.proc
    # one exchange first: the session has its resume ticket (a session cut
    # before the relay's ticket arrives cannot resume; it is closed)
    result = run(["curl", "-sS", f"http://127.0.0.1:{port}/small.txt"], None)
    assert result.returncode == 0, describe(result)
    cut_lab.client_proxy.toggle_refusing()
    cut_lab.client_proxy.cut()
    fwd.wait_for_line(contains="relay connection lost; resuming, up to 60 s", stream="stderr")
    out = tmp_path / "blob.bin"
    curl = procs.start(["curl", "-sS", "--max-time", str(COMMAND_TIMEOUT), "-o", out,
                        f"http://127.0.0.1:{port}/blob.bin"], name="curl")
    retries = len([l for l in fwd.lines["stderr"] if "trying again" in l])
    fwd.wait_for_lines(contains="trying again", n=retries + 2, stream="stderr")  # still away
    assert curl.alive(), curl.report()
    cut_lab.client_proxy.toggle_refusing()
    assert curl.wait_exit() == 0, curl.report() + fwd.report()
    assert sha256_file(out) == http_server.sha256["blob.bin"]
    assert not [l for l in fwd.lines["stderr"] if re.search(r"session to relay \S+ ended", l)], fwd.report()
    fwd.wait_for_line(contains="relay connection back: the session resumed", stream="stderr")
    sessions = [l for l in cut_lab.relay.proc.lines["stderr"] if "authenticated as client" in l]
    assert len(sessions) == 1, "the forward made a new session\n" + cut_lab.relay.proc.report()
