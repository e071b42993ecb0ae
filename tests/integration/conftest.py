"""Fixtures for the burrow integration tests.

Every process is started through a ProcGroup, which kills it at teardown and,
when a test fails, prints its stdout/stderr so the failure says why.

Keys: the relay admits only the keys its config lists. Each role (`relay`,
`lab` and `gpu` for the endpoints, `client`, and any other name a test asks
for) has its own identity and its own BURROW_HOME, a fresh directory per test,
so known_relays / known_endpoints are never shared between tests. The relay
fixtures write relay.toml from these keys; endpoints and clients pin the
relay's key with --relay-key (Relay.args).
"""
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
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

def _tap_default():
    # CMake puts the target in build/tests/ (tests/CMakeLists.txt); ctest passes
    # BURROW_TAP_BIN explicitly.
    for candidate in (REPO / "build" / "burrow_tap_relay", REPO / "build" / "tests" / "burrow_tap_relay"):
        if candidate.exists():
            return str(candidate)
    return str(REPO / "build" / "burrow_tap_relay")


# burrow with a test tap in the relay's splices (tests/support/tap_relay.cpp)
TAP_BURROW = os.environ.get("BURROW_TAP_BIN") or _tap_default()
PYTHON = "/usr/bin/python3"
# No test waits for a time or asserts one: it waits for an event (a line, a
# state, an exit) and asserts on bytes, codes and states. These deadlines
# only turn a hang into a failure, so they are generous.
WAIT_TIMEOUT = 60
COMMAND_TIMEOUT = 60


# ---------------------------------------------------------------- helpers

def wait_for(what, predicate, timeout=WAIT_TIMEOUT, state=None):
    """Polls `predicate` until it returns something true, and returns that.
    `timeout` only catches a hang: then it fails, saying `what` it waited
    for and, if given, `state()`."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not so after {timeout}s"
                                 + (f"\n{state()}" if state else ""))
        time.sleep(0.05)
    return value


class ReservedPort:
    """A loopback port held by a socket that is bound (SO_REUSEADDR) but never
    listens. While it is held, a connection to it is refused and the kernel
    gives the port to no one else, neither to bind(port 0) nor to an outgoing
    connection; a server that sets SO_REUSEADDR itself (burrow, sshd) may
    still bind and listen on it. So a test can name a port before its server
    runs, or use one that stays closed, without racing other processes."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


@pytest.fixture
def reserve_port():
    """reserve_port() -> a loopback port held (see ReservedPort) until the test ends."""
    held = []

    def reserve():
        held.append(ReservedPort())
        return held[-1].port
    yield reserve
    for port in held:
        port.close()


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
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            data = s.recv(65536)
    except ConnectionResetError:  # a reset may come before connect() returns
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
                       timeout=WAIT_TIMEOUT):
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
        """The exit code, once the process has exited and its last lines
        have been read."""
        try:
            code = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name}: still running after {timeout}s\n"
                                 f"{self.report()}") from None
        for t in self._threads:
            t.join(5)
        return code

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
        if kw.get("env") is None:
            kw["env"] = self.env
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
def base_env(tmp_path_factory):
    """Environment for every child: a throwaway HOME; no BURROW_HOME (see keys)."""
    assert os.access(BURROW, os.X_OK), f"no burrow binary at {BURROW} (set BURROW_BIN)"
    home = tmp_path_factory.mktemp("home")
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    for name in ("BURROW_HOME", "BURROW_RELAY", "BURROW_TAP_LOG", "BURROW_TAP_TARGET",
                 "BURROW_TAP_FLIP", "BURROW_TAP_REPLAY", "BURROW_TAP_CUT", "BURROW_TAP_TICKETS", "BURROW_TAP_ACCEPT_KEY"):
        env.pop(name, None)
    return env


def public_key_line(text):
    """`burrow-ed25519 BASE64 [comment]` -> `burrow-ed25519 BASE64`."""
    m = re.match(r"(burrow-ed25519 [A-Za-z0-9+/]+=*)(\s|$)", text.strip())
    assert m, f"not a burrow public key line: {text!r}"
    return m.group(1)


def keygen(env, path, comment):
    """burrow keygen -f PATH -C COMMENT; returns the public key line (`burrow id`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    made = subprocess.run([BURROW, "keygen", "-f", path, "-C", comment], env=env,
                          capture_output=True, timeout=COMMAND_TIMEOUT)
    assert made.returncode == 0, describe(made)
    shown = subprocess.run([BURROW, "id", "-f", path], env=env, capture_output=True,
                           timeout=COMMAND_TIMEOUT)
    assert shown.returncode == 0, describe(shown)
    return public_key_line(shown.stdout.decode())


KEY_ROLES = ("relay", "lab", "gpu", "client")


@pytest.fixture(scope="session")
def keyring(base_env, tmp_path_factory):
    """One identity per role for the whole session: role -> (id file, public key)."""
    root = tmp_path_factory.mktemp("keyring")
    return {role: (root / role / "id_ed25519",
                   keygen(dict(base_env, BURROW_HOME=str(root / role)),
                          root / role / "id_ed25519", role))
            for role in KEY_ROLES}


class Keys:
    """Per-test BURROW_HOME directories holding each role's identity as its
    default id_ed25519, and an allowed_clients file that lets the `client`
    role reach every service of an endpoint run with it. The session roles
    reuse the keyring's keys; any other role name gets a new key on first use."""

    def __init__(self, root, base_env, keyring):
        self.root, self.base_env, self.keyring = Path(root), base_env, keyring
        self._pub = {}

    def home(self, role):
        home = self.root / role
        if role not in self._pub and role != "client":
            # As an endpoint, every role lets the `client` role reach all its services.
            home.mkdir(mode=0o700, parents=True, exist_ok=True)
            (home / "allowed_clients").write_text(f"{self.keyring['client'][1]} test client\n")
        if role not in self._pub:
            if role in self.keyring:
                src, pub = self.keyring[role]
                home.mkdir(mode=0o700, parents=True, exist_ok=True)
                shutil.copy2(src, home / "id_ed25519")
                shutil.copy2(f"{src}.pub", home / "id_ed25519.pub")
            else:
                pub = keygen(dict(self.base_env, BURROW_HOME=str(home)),
                             home / "id_ed25519", role)
            self._pub[role] = pub
        return home

    def pub(self, role):
        self.home(role)
        return self._pub[role]

    def file(self, role):
        return self.home(role) / "id_ed25519"

    def env(self, role, **extra):
        return dict(self.base_env, BURROW_HOME=str(self.home(role)), **extra)


@pytest.fixture
def keys(base_env, keyring, tmp_path_factory):
    return Keys(tmp_path_factory.mktemp("homes"), base_env, keyring)


@pytest.fixture
def burrow_env(keys):
    """Environment of the client programs (curl, ssh, scp and the burrow
    clients they run): burrow finds the `client` identity in BURROW_HOME."""
    return keys.env("client")


@pytest.fixture(scope="session")
def services(base_env):
    """Session-wide group for the plain services (sshd, http, websocket...)."""
    group = ProcGroup(base_env)
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
    """burrow(*args, input=None, timeout=..., env=...) -> CompletedProcess, for
    short-lived commands (connect, ls, starts that must fail); by default as
    the `client` role."""
    def call(*args, env=None, **kw):
        return run([BURROW, *args], burrow_env if env is None else env, **kw)
    return call


# ---------------------------------------------------------------- burrow roles

def toml_str(text):
    return json.dumps(str(text))  # a TOML basic string, for the plain text used here


def relay_toml(listen="127.0.0.1:0", key=None, endpoints=(), clients=(), limits=None):
    """relay.toml text. endpoints: [(name, public key)]; clients:
    [(label, public key, [allow patterns])]; limits: {key: int}."""
    out = [f"listen = {toml_str(listen)}"]
    if key is not None:
        out.append(f"key = {toml_str(key)}")
    for name, pub in endpoints:
        out += ["", "[[endpoints]]", f"name = {toml_str(name)}", f"key = {toml_str(pub)}"]
    for label, pub, allow in clients:
        out += ["", "[[clients]]", f"name = {toml_str(label)}", f"key = {toml_str(pub)}",
                "allow = [" + ", ".join(toml_str(a) for a in allow) + "]"]
    if limits:
        out += ["", "[limits]"] + [f"{k} = {int(v)}" for k, v in limits.items()]
    return "\n".join(out) + "\n"


class Relay:
    """A running relay. `args` are the client/endpoint flags that reach it
    with its key pinned."""

    def __init__(self, proc, config=None, render=None):
        self.proc, self.config, self._render = proc, config, render
        line = proc.wait_for_line("listening on")
        m = re.fullmatch(r"listening on (127\.0\.0\.1:(\d+)) key (burrow-ed25519 \S+)", line.strip())
        assert m, f"unexpected relay listening line: {line!r}\n{proc.report()}"
        self.addr, self.port, self.key = m.group(1), int(m.group(2)), m.group(3)
        assert self.addr.split()[0] == line.split()[2]

    @property
    def args(self):
        return ["--relay", self.addr, "--relay-key", self.key]

    def rewrite(self, **grants):
        """Write the config file again with other grants (see make_relay)."""
        self.config.write_text(self._render(**grants))

    def reload(self):
        self.proc.p.send_signal(signal.SIGHUP)


def start_relay(procs, *args, env=None, binary=BURROW, config=None, render=None):
    return Relay(procs.start([binary, "relay", *args], env=env, name="relay"), config, render)


def start_endpoint(procs, *args, name="lab", env=None, wait=True):
    proc = procs.start([BURROW, "endpoint", *args], env=env, name=f"endpoint {name}")
    if wait:
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


def start_forward(procs, *args, specs, env=None, connected=True):
    """With `connected`, returns once the forward has its session and has
    checked its targets (it listens before that, and keeps trying the relay)."""
    argv = [BURROW, "forward", *args]
    for spec in specs:
        argv += ["-L", spec]
    fwd = Forward(procs.start(argv, env=env, name="forward"), len(specs))
    if connected:
        for target in fwd.ports:
            fwd.proc.wait_for_line(contains=f"-> {target}: ", stream="stderr")
    return fwd


DEFAULT_ENDPOINTS = {"lab": "lab", "gpu": "gpu"}   # endpoint name -> key role
DEFAULT_CLIENTS = {"client": ["*/*"]}              # key role -> allow patterns


@pytest.fixture
def make_relay(procs, keys, tmp_path_factory):
    """make_relay(endpoints={name: role}, clients={role: [patterns]}, limits={...},
    binary=BURROW, env={...}, role="relay", listen=..., top="TOML", extra="TOML", args=[...]) -> Relay,
    started with -c relay.toml granting those keys (default: endpoints lab and
    gpu, client `client` allowed everything), `top` (top-level keys) put
    first in it and `extra` (tables) appended, and `args` besides. Relay.rewrite(...) takes the same grant arguments and
    Relay.reload() sends SIGHUP."""
    def start(endpoints=None, clients=None, limits=None, binary=BURROW, env=None,
              role="relay", listen="127.0.0.1:0", top="", extra="", args=()):
        folder = tmp_path_factory.mktemp("relay")
        key_file = folder / "relay_id"  # relative to the config's folder
        shutil.copy2(keys.file(role), key_file)
        os.chmod(key_file, 0o600)

        def render(endpoints=None, clients=None, limits=None):
            endpoints = DEFAULT_ENDPOINTS if endpoints is None else endpoints
            clients = DEFAULT_CLIENTS if clients is None else clients
            return top + relay_toml(listen, "relay_id",
                              [(name, keys.pub(r)) for name, r in endpoints.items()],
                              [(r, keys.pub(r), allow) for r, allow in clients.items()],
                              limits) + extra

        config = folder / "relay.toml"
        config.write_text(render(endpoints, clients, limits))
        relay = start_relay(procs, "-c", config, *args, env=keys.env(role, **(env or {})),
                            binary=binary, config=config, render=render)
        assert relay.key == keys.pub(role), relay.proc.report()
        relay.client_roles = list(DEFAULT_CLIENTS if clients is None else clients)
        return relay
    return start


@pytest.fixture
def relay(make_relay):
    return make_relay()


@pytest.fixture
def endpoint(procs, keys, request):
    """endpoint({"web": "127.0.0.1:8080", ...}, name="lab", role=name,
    relay=<the relay fixture>, wait=True) -> Proc; runs with the key of
    `role` (by default the one the relay config grants `name`), and allows
    the client roles the relay was made with (`client` through its
    allowed_clients file, others with --allow)."""
    def start(service_map, name="lab", role=None, relay=None, wait=True, args=()):
        relay = relay or request.getfixturevalue("relay")
        argv = [*relay.args, "--name", name, *args]
        # Like the relay, the endpoint lets in the clients the relay's config grants.
        for client in getattr(relay, "client_roles", ()):
            if client != "client":
                argv += ["--allow", keys.pub(client)]
        for svc, target in service_map.items():
            argv += ["--service", f"{svc}={target}"]
        return start_endpoint(procs, *argv, name=name, env=keys.env(role or name), wait=wait)
    return start


@pytest.fixture
def forward(procs, keys, request):
    """forward("0:lab:web", ..., role="client", relay=<the relay fixture>, connected=True) -> Forward."""
    def start(*specs, role="client", relay=None, connected=True):
        relay = relay or request.getfixturevalue("relay")
        return start_forward(procs, *relay.args, specs=specs, env=keys.env(role), connected=connected)
    return start


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
        """Client options; with `relay` (a Relay), the connection goes through
        burrow connect, which finds its identity through BURROW_HOME in the
        environment ssh runs with."""
        opts = ["-F", "/dev/null", "-i", str(self.key), "-o", "IdentitiesOnly=yes",
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]
        if relay is not None:
            proxy = shlex.join([BURROW, "connect", *relay.args, endpoint, service])
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
    # sshd takes no port 0: it gets a port held for it, which it may bind
    # (it sets SO_REUSEADDR) and no other process can take meanwhile.
    reserved = ReservedPort()
    config = workdir / "sshd_config"
    config.write_text(SSHD_CONFIG.format(port=reserved.port, dir=workdir))
    os.makedirs("/run/sshd", exist_ok=True)
    proc = services.start(["/usr/sbin/sshd", "-D", "-e", "-f", config], name="sshd")
    proc.wait_for_line(f"Server listening on 127.0.0.1 port {reserved.port}.", stream="stderr")
    yield Sshd(proc, reserved.port, workdir / "client_ed25519", workdir)
    reserved.close()


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


# ---------------------------------------------------------------- in-process witness

class Recorder:
    """A TCP service in this process that records what reaches it: every
    accepted connection and every byte it read. It behaves like the digest
    server (reads to EOF, replies `<sha256> <count>\\n`), so a stream through
    it can also succeed. Used to prove that nothing reached a service."""

    def __init__(self):
        self._lock = threading.Lock()
        self.received = []  # one bytearray per accepted connection
        self.endings = []   # per connection: "eof" (a clean end of stream), "reset", or None while open
        self._conns = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.addr = f"127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                buf = bytearray()
                self.received.append(buf)
                self.endings.append(None)
                self._conns.append(conn)
                index = len(self.received) - 1
            t = threading.Thread(target=self._serve, args=(conn, buf, index), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, conn, buf, index):
        with conn:
            conn.settimeout(COMMAND_TIMEOUT)
            try:
                while chunk := conn.recv(65536):
                    with self._lock:
                        buf.extend(chunk)
            except OSError:
                with self._lock:
                    self.endings[index] = "reset"
                return
            with self._lock:
                self.endings[index] = "eof"
            try:
                digest = hashlib.sha256(bytes(buf)).hexdigest()
                conn.sendall(f"{digest} {len(buf)}\n".encode())
            except OSError:
                pass

    @property
    def accepts(self):
        with self._lock:
            return len(self.received)

    def data(self):
        with self._lock:
            return [bytes(b) for b in self.received]

    def ending(self, index, timeout=WAIT_TIMEOUT):
        """How connection `index` ended ("eof" or "reset"), waiting for it to
        be accepted and to end."""
        def ended():
            with self._lock:
                return self.endings[index] if index < len(self.endings) else None
        return wait_for(f"connection {index} to the recorder ends", ended, timeout)

    def close(self):
        self._stop.set()
        self.sock.close()
        with self._lock:
            for conn in self._conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for t in self._threads:
            t.join(5)


@pytest.fixture
def recorder():
    r = Recorder()
    yield r
    r.close()
