"""A throw-away network of namespaces (tests/support/testnet.sh) for the
network-fault tests, and burrow roles running inside it.

Topology (see the header of testnet.sh): the relay runs in the VPS namespace
(203.0.113.10), the endpoint in the GPU box namespace behind the lab router's
NAT (the relay sees it as 11.77.0.2), clients in the laptop namespace
(203.0.113.20). Every test gets its own instance under a random MKNET_PREFIX
and tears it down even when it fails. Nothing here binds outside those
namespaces: services and forwards listen on 127.0.0.1 *inside* a namespace,
the relay on the VPS address.

The test process itself stays in the root namespace. To talk to a port that
only exists inside a namespace it uses `socket_in(ns)`: a socket created while
the calling thread is switched into that namespace belongs to it for good.

Needs root and `ip netns`; the `mknet` fixture skips otherwise. Set MKNET_SH to
use another network builder with the same commands.
"""
import ctypes
import os
import re
import secrets
import shlex
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (BURROW, COMMAND_TIMEOUT, PYTHON, SSHD_CONFIG, SUPPORT, WAIT_TIMEOUT,
                      Forward, Proc, Service, Sshd, describe, relay_toml, sha256_file,
                      write_random_file)

# MKNET_SH overrides the repository's own builder.
MKNET_SH = os.environ.get("MKNET_SH") or str(SUPPORT / "testnet.sh")
RELAY_PORT = 7443

# ---------------------------------------------------------------- namespaces

_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def socket_in(ns, family=socket.AF_INET, type=socket.SOCK_STREAM):
    """A socket that lives in network namespace `ns` (only this thread
    switches, and only for the moment of the socket() call)."""
    with open(f"/run/netns/{ns}") as target, open("/proc/thread-self/ns/net") as home:
        _setns(target.fileno())
        try:
            return socket.socket(family, type)
        finally:
            _setns(home.fileno())


def connect_in(ns, port, host="127.0.0.1", timeout=COMMAND_TIMEOUT):
    s = socket_in(ns)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
    except BaseException:
        s.close()
        raise
    return s


def _skip_reason():
    if os.geteuid() != 0:
        return "network namespaces need root"
    try:
        r = subprocess.run(["ip", "netns", "list"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"'ip netns' is unavailable: {e}"
    if r.returncode != 0:
        return f"'ip netns' is unavailable: {r.stderr.decode(errors='replace').strip()}"
    return None


class Net:
    """One testnet.sh instance. `env` holds what `testnet.sh up` printed
    (NS_VPS, VPS_IP, ...); `fault(...)` runs one of its commands on it
    (partition, heal, loss, rate, upnp, wolcap...). `wan_mode="cgnat"` puts
    the lab router behind a carrier NAT."""

    script = MKNET_SH

    def __init__(self, prefix, wan_mode="public"):
        self.prefix = prefix
        self.env = {}
        self._proc_env = dict(os.environ, MKNET_PREFIX=prefix, MKNET_UPNP="0", MKNET_WAN_MODE=wan_mode)

    def _mknet(self, *args, timeout=60):
        argv = ["bash", MKNET_SH, *map(str, args)]
        try:
            r = subprocess.run(argv, env=self._proc_env, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{shlex.join(argv)} still running after {timeout}s") from None
        assert r.returncode == 0, f"MKNET_PREFIX={self.prefix} " + describe(r)
        return r.stdout.decode()

    def up(self):
        assert os.path.exists(MKNET_SH), f"no network builder at {MKNET_SH} (set MKNET_SH)"
        out = self._mknet("up")
        for line in out.splitlines():
            key, eq, value = line.partition("=")
            if eq:
                self.env[key] = value

    def down(self):
        self._mknet("down")

    def fault(self, *args):
        return self._mknet(*args)

    def ns(self, node):
        return self.env[f"NS_{node.upper()}"]

    def socket(self, node, type=socket.SOCK_STREAM, family=socket.AF_INET):
        """A socket inside `node` (see socket_in)."""
        return socket_in(self.ns(node), family=family, type=type)

    def connect(self, node, port, host="127.0.0.1", timeout=COMMAND_TIMEOUT):
        """A TCP connection made from inside `node`."""
        return connect_in(self.ns(node), port, host, timeout)

    def ip(self, node):
        return self.env[f"{node.upper()}_IP"]

    def argv(self, node, *argv):
        return ["ip", "netns", "exec", self.ns(node), *map(str, argv)]

    def run(self, node, *argv, env=None, input=None, timeout=COMMAND_TIMEOUT):
        full = self.argv(node, *argv)
        try:
            return subprocess.run(full, input=input, capture_output=True, env=env, timeout=timeout,
                                  stdin=None if input is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"{shlex.join(full)} still running after {timeout}s\n"
                                 f"stderr: {e.stderr!r}") from None


def _unused_prefix():
    taken = subprocess.run(["ip", "netns", "list"], capture_output=True).stdout.decode()
    names = {line.split()[0] for line in taken.splitlines() if line.strip()}
    while True:
        prefix = "b" + secrets.token_hex(2)[:3]
        if not any(n.startswith(prefix + "-") for n in names) and \
                not os.path.exists(f"/run/mknet/{prefix}"):
            return prefix


@pytest.fixture
def testnet(request):
    """A bare testnet instance, no burrow in it (public WAN, or "cgnat" when the
    test is parametrized indirectly with it); always torn down."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    net = Net(_unused_prefix(), getattr(request, "param", "public"))
    request.addfinalizer(net.down)
    net.up()
    return net


@pytest.fixture
def mknet(request, procs):
    """A fresh mknet instance for this test (public WAN, or "cgnat" when the
    test is parametrized indirectly with it); `mknet down` runs at teardown
    whatever happened (after this test's processes were stopped)."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    net = Net(_unused_prefix(), getattr(request, "param", "public"))

    def teardown():
        try:
            # burrow drains on the first SIGTERM (up to 30 s, e.g. for streams
            # whose session waits to resume) and stops on the second one
            alive = [p for p in procs.procs if p.alive()]
            for p in alive:
                p.p.terminate()
            deadline = time.monotonic() + 1
            while any(p.alive() for p in alive) and time.monotonic() < deadline:
                time.sleep(0.05)
            for p in alive:
                if p.alive():
                    p.p.terminate()
            procs.stop_all()
        finally:
            net.down()
    request.addfinalizer(teardown)
    net.up()
    return net


# ---------------------------------------------------------------- processes

class LogProc(Proc):
    """A Proc whose lines a test finds by regex, from a line index on (count()
    gives the index of the next line, to mark a point in the log). Lines are
    ordered, not timed: a test asserts which came first, never when."""

    def count(self, stream="stderr"):
        with self._cond:
            return len(self.lines[stream])

    def find(self, pattern, stream="stderr", start=0):
        """[(index, line)] of the lines from `start` on that match the regex."""
        with self._cond:
            return [(i, self.lines[stream][i]) for i in range(start, len(self.lines[stream]))
                    if re.search(pattern, self.lines[stream][i])]

    def wait_match(self, pattern, stream="stderr", start=0, timeout=WAIT_TIMEOUT):
        """First (index, line) from line `start` on that matches the regex;
        fails after `timeout` seconds (a hang) or at the end of the stream."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(start, len(self.lines[stream])):
                    if re.search(pattern, self.lines[stream][i]):
                        return i, self.lines[stream][i]
                left = deadline - time.monotonic()
                if self._done[stream] or left <= 0:
                    why = "stream closed" if self._done[stream] else f"{timeout}s passed"
                    raise AssertionError(f"{self.name}: no line on {stream} matching {pattern!r} "
                                         f"from line {start} on; {why}\n{self.report()}")
                self._cond.wait(min(left, 0.5))

    def signal(self, sig):
        self.p.send_signal(sig)


# ---------------------------------------------------------------- burrow in the namespaces

class NsRelay:
    """A relay process in the VPS namespace; `args` reach it with its key pinned."""

    def __init__(self, proc, key):
        self.proc = proc
        line = proc.wait_for_line("listening on")
        m = re.fullmatch(r"listening on (\S+) key (burrow-ed25519 \S+)", line.strip())
        assert m, f"unexpected relay listening line: {line!r}\n{proc.report()}"
        self.addr, self.key = m.group(1), m.group(2)
        assert self.key == key, proc.report()

    @property
    def args(self):
        return ["--relay", self.addr, "--relay-key", self.key]


class Rig:
    """burrow roles in an mknet instance: relay (VPS), endpoints and services
    (GPU box, or another LAN host), clients (laptop). Keys as in conftest:
    each role has its own BURROW_HOME; the relay config grants endpoint `lab`
    to role `lab` and everything to role `client`."""

    def __init__(self, net, procs, keys, folder):
        self.net, self.procs, self.keys = net, procs, keys
        self.folder = Path(folder)
        self.relay_port = RELAY_PORT
        self.relay_addr = f"{net.ip('vps')}:{RELAY_PORT}"
        self.relay_config = None
        self.relay = None

    def start(self, node, argv, name, env=None, stdin=subprocess.DEVNULL):
        proc = LogProc(self.net.argv(node, *argv), env=env or self.procs.env, name=name,
                         stdin=stdin)
        self.procs.procs.append(proc)
        return proc

    # -- relay

    def start_relay(self, endpoints=None, clients=None, extra=""):
        """Starts (or starts again: same config, key and port) the relay. The
        first start writes its config: `endpoints` [(name, key)] (default: lab)
        and `clients` [(label, key, [patterns])] (default: client, everything);
        `extra` is appended to it."""
        if self.relay_config is None:
            key_file = self.folder / "relay_id"
            key_file.write_bytes(self.keys.file("relay").read_bytes())
            os.chmod(key_file, 0o600)
            self.relay_config = self.folder / "relay.toml"
            self.relay_config.write_text(relay_toml(
                self.relay_addr, "relay_id", endpoints or [("lab", self.keys.pub("lab"))],
                clients or [("client", self.keys.pub("client"), ["*/*"])]) + extra)
        proc = self.start("vps", [BURROW, "relay", "-c", self.relay_config], "relay",
                          env=self.keys.env("relay"))
        self.relay = NsRelay(proc, self.keys.pub("relay"))
        return self.relay

    # -- endpoint

    def endpoint_toml(self, services, path=None):
        """Writes an endpoint config (name lab, this relay, its key pinned)."""
        path = Path(path or self.folder / "endpoint.toml")
        text = (f'name = "lab"\nrelay = "{self.relay_addr}"\n'
                f'relay_key = "{self.keys.pub("relay")}"\n\n[services]\n')
        text += "".join(f'{name} = "{addr}"\n' for name, addr in services.items())
        path.write_text(text)
        return path

    def start_endpoint(self, services=None, config=None, node="gpubox", wait=True, args=()):
        """burrow endpoint `lab` with the `lab` key, by flags or `-c config`,
        and `args` besides."""
        argv = [BURROW, "endpoint", *args]
        if config is not None:
            argv += ["-c", config]
        else:
            argv += ["--relay", self.relay_addr, "--relay-key", self.keys.pub("relay"), "--name", "lab"]
            for name, addr in (services or {}).items():
                argv += ["--service", f"{name}={addr}"]
        proc = self.start(node, argv, f"endpoint lab ({node})", env=self.keys.env("lab"))
        if wait:
            proc.wait_for_line("registered as lab with relay")
        return proc

    # -- services (inside a namespace, on its 127.0.0.1)

    def http_server(self, files, node="gpubox"):
        """files: {name: size}; random contents. Service with .root and .sha256."""
        root = self.folder / f"www-{node}"
        root.mkdir(exist_ok=True)
        for name, size in files.items():
            write_random_file(root / name, size)
        digests = {p.name: sha256_file(p) for p in root.iterdir()}
        proc = self.start(node, [PYTHON, SUPPORT / "http_server.py", root], f"http_server ({node})")
        return Service(proc, root=root, sha256=digests)

    def sshd(self, like, node="gpubox", port=2222):
        """A real sshd on 127.0.0.1:`port` inside `node`, with the host key and
        authorized client key of the session's sshd fixture (`like`)."""
        workdir = self.folder / f"sshd-{node}"
        workdir.mkdir()
        config = workdir / "sshd_config"
        config.write_text(SSHD_CONFIG.format(port=port, dir=like.workdir).replace(
            f"PidFile {like.workdir}/", f"PidFile {workdir}/"))
        proc = self.start(node, ["/usr/sbin/sshd", "-D", "-e", "-f", config], f"sshd ({node})")
        proc.wait_for_line("Server listening on 127.0.0.1", stream="stderr")
        return Sshd(proc, port, like.key, workdir)

    def digest_server(self, node="gpubox"):
        return Service(self.start(node, [PYTHON, SUPPORT / "digest_server.py"],
                                  f"digest_server ({node})"))

    # -- clients (laptop)

    def forward(self, *specs, node="laptop"):
        argv = [BURROW, "forward", "--relay", self.relay_addr, "--relay-key", self.keys.pub("relay")]
        for spec in specs:
            argv += ["-L", spec]
        return Forward(self.start(node, argv, "forward", env=self.keys.env("client")), len(specs))

    def burrow(self, *args, node="laptop", input=None, timeout=COMMAND_TIMEOUT):
        """A short burrow client command (ls, connect) as role `client`."""
        return self.net.run(node, BURROW, *args, env=self.keys.env("client"), input=input,
                            timeout=timeout)

    def ls(self, node="laptop"):
        """The `burrow ls` lines (whitespace normalised) and the result."""
        result = self.burrow("ls", "--relay", self.relay_addr, "--relay-key", self.keys.pub("relay"),
                             node=node)
        assert result.returncode == 0, describe(result)
        return {" ".join(l.split()) for l in result.stdout.decode().splitlines() if l.strip()}, result

    def connect(self, service, data, node="laptop", timeout=COMMAND_TIMEOUT):
        return self.burrow("connect", "--relay", self.relay_addr, "--relay-key", self.keys.pub("relay"),
                           "lab", service, node=node, input=data, timeout=timeout)

    def curl_argv(self, port, path, out=None):
        """curl for http://127.0.0.1:PORT/PATH, to run in the laptop namespace."""
        argv = ["curl", "-sS", "--max-time", str(COMMAND_TIMEOUT)]
        if out is not None:
            argv += ["-o", out]
        return [*argv, f"http://127.0.0.1:{port}/{path}"]

    def curl(self, port, path, timeout=COMMAND_TIMEOUT):
        return self.net.run("laptop", *self.curl_argv(port, path), timeout=timeout)


@pytest.fixture
def rig(mknet, procs, keys, tmp_path):
    return Rig(mknet, procs, keys, tmp_path)

