"""Fixtures for the burrow integration tests.

Every process is started through a ProcGroup, which kills it at teardown and,
when a test fails, prints its stdout/stderr so the failure says why.
"""
import hashlib
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SUPPORT = REPO / "tests" / "support"
BURROW = os.environ.get("BURROW_BIN", str(REPO / "build" / "burrow"))
PYTHON = "/usr/bin/python3"
STARTUP_TIMEOUT = 20
COMMAND_TIMEOUT = 60


# ---------------------------------------------------------------- helpers

def free_port():
    """A port nothing listens on right now (also used as a closed port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def write_random_file(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 20)
            f.write(os.urandom(n))
            left -= n
    return path


def listening_port(line):
    """`listening on 127.0.0.1:PORT` -> PORT."""
    m = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+)", line.strip())
    assert m, f"unexpected listening line: {line!r}"
    return int(m.group(1))


def recv_all(sock, timeout=COMMAND_TIMEOUT):
    """Read until EOF; a stall longer than `timeout` raises socket.timeout."""
    sock.settimeout(timeout)
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def expect_closed_without_data(port, timeout=COMMAND_TIMEOUT):
    """Connect to a forward port whose stream gets rejected: the local
    connection must be closed (EOF or reset) without any byte."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        try:
            data = s.recv(65536)
        except ConnectionResetError:
            data = b""
        assert data == b"", f"rejected stream delivered data: {data[:200]!r}"


def error_lines(result):
    """The `burrow: ...` lines of a failed command, lower-cased; fails if none."""
    lines = [l.lower() for l in result.stderr.decode(errors="replace").splitlines()
             if l.startswith("burrow: ")]
    assert lines, "no line starting 'burrow: ' on stderr\n" + describe(result)
    return lines


# ---------------------------------------------------------------- processes

class Proc:
    """A child process whose stdout and stderr lines are collected by
    background threads, so a test can wait for a line with a timeout."""

    def __init__(self, argv, env=None, stdin=subprocess.DEVNULL, name=None):
        self.argv = [str(a) for a in argv]
        self.name = name or " ".join(self.argv[:2])
        self.lines = {"stdout": [], "stderr": []}
        self._done = {"stdout": False, "stderr": False}
        self._cond = threading.Condition()
        self.p = subprocess.Popen(self.argv, stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env)
        self._threads = [
            threading.Thread(target=self._pump, args=(self.p.stdout, "stdout"), daemon=True),
            threading.Thread(target=self._pump, args=(self.p.stderr, "stderr"), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _pump(self, stream, key):
        for raw in iter(stream.readline, b""):
            with self._cond:
                self.lines[key].append(raw.decode(errors="replace").rstrip("\r\n"))
                self._cond.notify_all()
        with self._cond:
            self._done[key] = True
            self._cond.notify_all()

    @property
    def stdin(self):
        return self.p.stdin

    def alive(self):
        return self.p.poll() is None

    def wait_for_lines(self, prefix="", n=1, contains=None, stream="stdout",
                       timeout=STARTUP_TIMEOUT):
        """First `n` lines of `stream` starting with `prefix` (and containing
        `contains`, case-insensitive). Fails on timeout or end of stream."""
        def matches():
            return [l for l in self.lines[stream] if l.startswith(prefix)
                    and (contains is None or contains.lower() in l.lower())]

        deadline = time.monotonic() + timeout
        with self._cond:
            while len(found := matches()) < n:
                left = deadline - time.monotonic()
                if self._done[stream] or left <= 0:
                    why = "stream closed" if self._done[stream] else f"{timeout}s passed"
                    raise AssertionError(
                        f"{self.name}: wanted {n} line(s) on {stream} starting "
                        f"{prefix!r} containing {contains!r}; {why}\n{self.report()}")
                self._cond.wait(min(left, 0.5))
            return found[:n]

    def wait_for_line(self, prefix="", **kw):
        return self.wait_for_lines(prefix, 1, **kw)[0]

    def wait_exit(self, timeout=COMMAND_TIMEOUT):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name}: still running after {timeout}s\n"
                                 f"{self.report()}") from None

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        if self.p.stdin:
            self.p.stdin.close()
        for t in self._threads:
            t.join(5)

    def report(self, tail=None):
        with self._cond:
            out = self.lines["stdout"][-tail:] if tail else self.lines["stdout"]
            err = self.lines["stderr"][-tail:] if tail else self.lines["stderr"]
        return (f"--- {self.name} (pid {self.p.pid}, exit {self.p.poll()})\n"
                f"$ {shlex.join(self.argv)}\n"
                f"[stdout]\n" + "\n".join(out) + "\n[stderr]\n" + "\n".join(err) + "\n")


class ProcGroup:
    def __init__(self, env=None):
        self.env = env
        self.procs = []

    def start(self, argv, **kw):
        kw.setdefault("env", self.env)
        proc = Proc(argv, **kw)
        self.procs.append(proc)
        return proc

    def stop_all(self):
        for proc in reversed(self.procs):
            proc.stop()

    def report(self, tail=None):
        return "".join(p.report(tail) for p in self.procs)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def _failed(request):
    return any(getattr(request.node, f"rep_{w}", None) is not None
               and getattr(request.node, f"rep_{w}").failed for w in ("setup", "call"))


# ---------------------------------------------------------------- environment

@pytest.fixture(scope="session")
def burrow_env(tmp_path_factory):
    """Environment for every child: burrow keeps its keys under a throwaway HOME."""
    assert os.access(BURROW, os.X_OK), f"no burrow binary at {BURROW} (set BURROW_BIN)"
    home = tmp_path_factory.mktemp("home")
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    return env


@pytest.fixture(scope="session")
def services(burrow_env):
    """Session-wide group for the plain services (sshd, http, websocket...)."""
    group = ProcGroup(burrow_env)
    yield group
    group.stop_all()


@pytest.fixture
def procs(request, burrow_env, services):
    """Per-test group for burrow processes; dumps all output if the test fails."""
    group = ProcGroup(burrow_env)
    yield group
    if _failed(request):
        sys.stdout.write("\n===== processes of this test =====\n" + group.report())
        sys.stdout.write("===== services (last lines) =====\n" + services.report(tail=30))
    group.stop_all()


def run(argv, env, input=None, timeout=COMMAND_TIMEOUT):
    """Run a client tool (ssh, scp, curl); failing or hanging fails the test."""
    argv = [str(a) for a in argv]
    try:
        return subprocess.run(argv, input=input, capture_output=True, env=env,
                              timeout=timeout,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{shlex.join(argv)} still running after {timeout}s\n"
                             f"stderr: {e.stderr!r}") from None


def describe(result):
    return (f"$ {shlex.join(result.args)}\nexit {result.returncode}\n"
            f"[stdout] {result.stdout[:2000]!r}\n[stderr]\n"
            f"{result.stderr.decode(errors='replace')}")


@pytest.fixture
def burrow(burrow_env):
    """burrow(*args, input=None, timeout=...) -> CompletedProcess, for short-lived
    commands (connect, ls, starts that must fail)."""
    return lambda *args, **kw: run([BURROW, *args], burrow_env, **kw)


# ---------------------------------------------------------------- burrow roles

class Relay:
    def __init__(self, proc):
        self.proc = proc
        self.port = listening_port(proc.wait_for_line("listening on"))
        self.addr = f"127.0.0.1:{self.port}"


def start_relay(procs, *args):
    return Relay(procs.start([BURROW, "relay", *args], name="relay"))


def start_endpoint(procs, *args, name="lab"):
    proc = procs.start([BURROW, "endpoint", *args], name=f"endpoint {name}")
    proc.wait_for_line(f"registered as {name} with relay")
    return proc


class Forward:
    """A running `burrow forward`; port_for("lab/web") gives the local port."""

    def __init__(self, proc, count):
        self.proc = proc
        self.ports = {}
        for line in proc.wait_for_lines("forwarding ", n=count):
            m = re.fullmatch(r"forwarding 127\.0\.0\.1:(\d+) -> (\S+/\S+)", line.strip())
            assert m, f"unexpected forward line {line!r}\n{proc.report()}"
            self.ports[m.group(2)] = int(m.group(1))

    def port_for(self, target):
        return self.ports[target]


def start_forward(procs, *args, specs):
    argv = [BURROW, "forward", *args]
    for spec in specs:
        argv += ["-L", spec]
    return Forward(procs.start(argv, name="forward"), len(specs))


@pytest.fixture
def relay(procs):
    return start_relay(procs, "--listen", "127.0.0.1:0")


@pytest.fixture
def endpoint(procs, relay):
    """endpoint({"web": "127.0.0.1:8080", ...}, name="lab") -> Proc."""
    def start(service_map, name="lab"):
        args = ["--relay", relay.addr, "--name", name]
        for svc, target in service_map.items():
            args += ["--service", f"{svc}={target}"]
        return start_endpoint(procs, *args, name=name)
    return start


@pytest.fixture
def forward(procs, relay):
    """forward("0:lab:web", ...) -> Forward."""
    return lambda *specs: start_forward(procs, "--relay", relay.addr, specs=specs)


# ---------------------------------------------------------------- services

class Service:
    def __init__(self, proc, **extra):
        self.proc = proc
        self.port = listening_port(proc.wait_for_line("listening on"))
        self.addr = f"127.0.0.1:{self.port}"
        self.__dict__.update(extra)


@pytest.fixture(scope="session")
def http_server(services, tmp_path_factory):
    """Serves small.txt and blob.bin (5 MB random); .sha256 maps names to digests."""
    root = tmp_path_factory.mktemp("www")
    (root / "small.txt").write_bytes(b"hello from the lab web server\n")
    write_random_file(root / "blob.bin", 5 * 1024 * 1024)
    digests = {p.name: sha256_file(p) for p in root.iterdir()}
    proc = services.start([PYTHON, SUPPORT / "http_server.py", root], name="http_server")
    return Service(proc, root=root, sha256=digests)


@pytest.fixture(scope="session")
def ws_server(services):
    return Service(services.start([PYTHON, SUPPORT / "ws_echo.py"], name="ws_echo"))


@pytest.fixture(scope="session")
def digest_server(services):
    return Service(services.start([PYTHON, SUPPORT / "digest_server.py"],
                                  name="digest_server"))


@pytest.fixture(scope="session")
def big_file(tmp_path_factory):
    """100 MB of random bytes and its sha256."""
    path = write_random_file(tmp_path_factory.mktemp("big") / "big.bin", 100 * 1024 * 1024)
    return path, sha256_file(path)


class Sshd:
    def __init__(self, proc, port, key, workdir):
        self.proc, self.port, self.key, self.workdir = proc, port, key, workdir
        self.addr = f"127.0.0.1:{port}"

    def options(self, relay=None, endpoint="lab", service="ssh"):
        """Client options; with `relay`, the connection goes through burrow connect."""
        opts = ["-F", "/dev/null", "-i", str(self.key), "-o", "IdentitiesOnly=yes",
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]
        if relay is not None:
            proxy = f"{shlex.quote(BURROW)} connect --relay {relay} {endpoint} {service}"
            opts += ["-o", f"ProxyCommand={proxy}"]
        return opts

    def ssh_argv(self, *command, relay=None, port=None):
        argv = ["ssh", *self.options(relay)]
        if port is not None:
            argv += ["-p", str(port)]
        return [*argv, "127.0.0.1", *command]

    def scp_argv(self, src, dst, relay=None, port=None):
        argv = ["scp", "-q", *self.options(relay)]
        if port is not None:
            argv += ["-P", str(port)]
        return [*argv, str(src), str(dst)]


SSHD_CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey {dir}/host_ed25519
AuthorizedKeysFile {dir}/authorized_keys
PidFile {dir}/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
MaxStartups 100
MaxSessions 100
Subsystem sftp internal-sftp
"""


@pytest.fixture(scope="session")
def sshd(services, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("sshd")
    for key in ("host_ed25519", "client_ed25519"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", key,
                        "-f", workdir / key], check=True, timeout=30)
    (workdir / "authorized_keys").write_bytes((workdir / "client_ed25519.pub").read_bytes())
    port = free_port()
    config = workdir / "sshd_config"
    config.write_text(SSHD_CONFIG.format(port=port, dir=workdir))
    os.makedirs("/run/sshd", exist_ok=True)
    proc = services.start(["/usr/sbin/sshd", "-D", "-e", "-f", config], name="sshd")
    proc.wait_for_line("Server listening on 127.0.0.1", stream="stderr")
    return Sshd(proc, port, workdir / "client_ed25519", workdir)


# ---------------------------------------------------------------- a full lab

@pytest.fixture
def lab(relay, endpoint, forward, sshd, http_server, ws_server, digest_server):
    """Relay + one endpoint `lab` publishing web, ssh, ws and digest, and one
    forward process with a local port for each."""
    endpoint_proc = endpoint({"web": http_server.addr, "ssh": sshd.addr,
                              "ws": ws_server.addr, "digest": digest_server.addr})
    fwd = forward("127.0.0.1:0:lab:web", "0:lab:ssh", "0:lab:ws", "0:lab:digest")
    return Lab(relay, endpoint_proc, fwd, sshd, http_server, ws_server, digest_server)


class Lab:
    def __init__(self, relay, endpoint, forward, sshd, http, ws, digest):
        self.relay, self.endpoint, self.forward = relay, endpoint, forward
        self.sshd, self.http, self.ws, self.digest = sshd, http, ws, digest

    def port(self, service):
        return self.forward.port_for(f"lab/{service}")
