"""The portable burrow (scripts/build-portable, -DBURROW_PORTABLE=ON): it needs
no library but glibc's own, and no newer glibc than the README says; and a
relay, an endpoint and a client, all this one binary, make a working tunnel
when an unprivileged user runs them from ~/bin in empty homes, as on machines
where one has no root.

BURROW_PORTABLE_BIN names a binary to check as it is; without it the test runs
scripts/build-portable first, which only brings build-portable/burrow up to
date when scripts/test has built it already. As root the tunnel runs as a
throwaway system user, removed afterwards; otherwise as oneself.
"""
import os
import pwd
import grp
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 1800  # a build from nothing, on two cores
TIMEOUT = 60

# The libraries of glibc itself: the only ones the portable burrow may need.
GLIBC_LIBRARIES = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
                   "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}
NEWEST_GLIBC = (2, 35)  # Ubuntu 22.04's (app/portable_glibc.cpp keeps 2.36's arc4random out)


def run(argv, **kw):
    argv = [str(a) for a in argv]
    kw.setdefault("timeout", TIMEOUT)
    r = subprocess.run(argv, capture_output=True, **kw)
    assert r.returncode == 0, (f"$ {shlex.join(argv)}\nexit {r.returncode}\n"
                               f"{r.stdout.decode(errors='replace')}\n{r.stderr.decode(errors='replace')}")
    return r.stdout.decode()


@pytest.fixture(scope="module")
def portable():
    if os.environ.get("BURROW_SANITIZED") == "1":
        pytest.skip("the portable burrow is checked in the release build's run")
    if os.environ.get("BURROW_PORTABLE_BIN"):
        binary = Path(os.environ["BURROW_PORTABLE_BIN"])
    else:
        run([REPO / "scripts" / "build-portable"], timeout=BUILD_TIMEOUT)
        binary = REPO / "build-portable" / "burrow"
    assert os.access(binary, os.X_OK), f"no portable burrow at {binary}"
    return binary


def documented_glibc():
    """The glibc version the README's "Portable binary" section says it needs."""
    m = re.search(r"needs glibc (\d+)\.(\d+) or newer", (REPO / "README.md").read_text())
    assert m, "the README does not say which glibc the portable binary needs"
    return int(m.group(1)), int(m.group(2))


# ---------------------------------------------------------------- the binary

def test_it_needs_only_glibcs_own_libraries(portable):
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", run(["readelf", "-d", "-W", portable]))
    assert "libc.so.6" in needed, needed
    assert set(needed) <= GLIBC_LIBRARIES, f"not glibc's: {sorted(set(needed) - GLIBC_LIBRARIES)}"
    kind = run(["file", "-b", portable])
    assert "dynamically linked" in kind and "static" not in kind, kind
    interpreter = re.search(r"program interpreter: (\S+)\]", run(["readelf", "-l", "-W", portable]))
    assert interpreter and Path(interpreter.group(1)).name in GLIBC_LIBRARIES, interpreter


def test_the_glibc_it_needs_is_the_one_the_readme_names(portable, capsys):
    symbols = run(["objdump", "-T", portable])
    versions = {tuple(int(n) for n in v.split("."))
                for v in re.findall(r"\bGLIBC_(\d+\.\d+(?:\.\d+)?)\b", symbols)}
    assert versions, symbols[:2000]
    others = set(re.findall(r"\b(GLIBCXX|CXXABI|GCC|OPENSSL|SODIUM|LIBSODIUM)_[0-9.]+", symbols))
    assert not others, f"symbol versions of libraries that should be linked in: {others}"
    needs = max(versions)
    with capsys.disabled():
        print(f"\nportable burrow needs glibc {'.'.join(map(str, needs))} or newer "
              f"({portable}, {Path(portable).stat().st_size // 1024} KiB)")
    assert needs <= NEWEST_GLIBC, needs
    assert needs <= documented_glibc(), f"it needs glibc {needs}: the README says {documented_glibc()}"


# ---------------------------------------------------------------- a tunnel without root

class Account:
    """Who runs the tunnel: a throwaway system user when we are root, else we."""

    def __init__(self, entry):
        self.entry = entry
        self.uid = entry.pw_uid if entry else os.getuid()

    def argv(self, argv):
        argv = [str(a) for a in argv]
        if self.entry is None:
            return argv
        return ["setpriv", f"--reuid={self.entry.pw_uid}", f"--regid={self.entry.pw_gid}",
                "--clear-groups", "--", *argv]

    def own(self, path, mode):
        path.chmod(mode)
        if self.entry:
            os.chown(path, self.entry.pw_uid, self.entry.pw_gid)


@pytest.fixture
def account():
    if os.geteuid() != 0:
        yield Account(None)
        return
    name = f"burrowpt{os.getpid()}"
    run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", name])
    try:
        yield Account(pwd.getpwnam(name))
    finally:
        subprocess.run(["userdel", name], capture_output=True)
        try:
            grp.getgrnam(name)
            subprocess.run(["groupdel", name], capture_output=True)
        except KeyError:
            pass


class Machine:
    """A fresh, empty home with burrow copied to ~/bin, as `scp burrow box:bin/`
    leaves it; commands run in the empty `cwd` with only HOME and PATH set."""

    def __init__(self, name, root, account, upload):
        self.name, self.account = name, account
        self.home = root / name
        self.home.mkdir()
        account.own(self.home, 0o700)
        self.cwd = root / "cwd"
        self.logs = root / "logs"
        self.burrow = self.home / "bin" / "burrow"
        self.run(["install", "-D", "-m", "0755", upload, self.burrow])
        self.procs = []

    def env(self):
        return {"HOME": str(self.home), "PATH": f"{self.home}/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}

    def run(self, argv, input=None):
        argv = self.account.argv(argv)
        r = subprocess.run(argv, input=input, capture_output=True, env=self.env(), cwd=self.cwd,
                           timeout=TIMEOUT, stdin=None if input is not None else subprocess.DEVNULL)
        assert r.returncode == 0, (f"{self.name}$ {shlex.join(argv)}\nexit {r.returncode}\n"
                                   f"{r.stdout[:2000]!r}\n{r.stderr.decode(errors='replace')}")
        return r.stdout

    def start(self, *args):
        proc = Proc(f"{self.name}: burrow {args[0]}", self.account.argv([self.burrow, *args]),
                    self.env(), self.cwd, self.logs / f"{self.name}-{args[0]}")
        self.procs.append(proc)
        return proc


class Proc:
    """A running burrow whose stdout and stderr go to files in the logs folder."""

    def __init__(self, name, argv, env, cwd, log):
        self.name, self.argv = name, argv
        self.files = {s: open(f"{log}.{s}", "w+b") for s in ("stdout", "stderr")}
        self.p = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                  stdout=self.files["stdout"], stderr=self.files["stderr"])

    def text(self, stream):
        self.files[stream].flush()
        return Path(self.files[stream].name).read_text(errors="replace")

    def wait_for(self, pattern, stream="stdout", timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            for line in self.text(stream).splitlines():
                if m := re.search(pattern, line):
                    return m
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no line like {pattern!r} on {stream}\n{self.report()}")
            time.sleep(0.1)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(35)  # draining takes 30 s at most
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        for f in self.files.values():
            f.close()

    def report(self):
        return (f"--- {self.name} (pid {self.p.pid}, exit {self.p.poll()})\n$ {shlex.join(self.argv)}\n"
                f"[stdout]\n{self.text('stdout')}[stderr]\n{self.text('stderr')}")


class Echo:
    """A TCP echo service on 127.0.0.1: sends back what it reads, then ends its side."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _serve(conn):
        with conn:
            conn.settimeout(TIMEOUT)
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self):
        self._stop.set()
        self.sock.close()


def exchange(port, payload):
    """Send payload to 127.0.0.1:port, end our side, and read the answer to its end."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        def send():
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
        sender = threading.Thread(target=send)
        sender.start()
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
        sender.join(TIMEOUT)
    return b"".join(chunks)


def public_key(machine):
    machine.run([machine.burrow, "keygen"])
    line = machine.run([machine.burrow, "id"]).decode()
    m = re.match(r"burrow-ed25519 [A-Za-z0-9+/]+=*", line)
    assert m, line
    return m.group(0)


def test_a_tunnel_of_portable_burrows_run_by_a_user_without_root(portable, account):
    root = Path(tempfile.mkdtemp(prefix="burrow-portable-"))
    echo = Echo()
    machines = []
    try:
        root.chmod(0o711)
        (root / "logs").mkdir(mode=0o700)
        (root / "cwd").mkdir()
        account.own(root / "cwd", 0o700)
        upload = root / "upload"
        upload.mkdir()
        upload.chmod(0o755)
        shutil.copy(portable, upload / "burrow")
        (upload / "burrow").chmod(0o755)

        vps, lab, laptop = machines = [Machine(n, root, account, upload / "burrow")
                                       for n in ("vps", "lab", "laptop")]
        version = laptop.run([laptop.burrow, "--version"]).decode()
        assert re.fullmatch(r"burrow \S+ \(commit \S+\)\n", version), version
        keys = {m.name: public_key(m) for m in machines}

        config = vps.home / "relay.toml"
        config.write_text(f'listen = "127.0.0.1:0"\n\n'
                          f'[[endpoints]]\nname = "lab"\nkey = "{keys["lab"]}"\n\n'
                          f'[[clients]]\nname = "laptop"\nkey = "{keys["laptop"]}"\nallow = ["lab/*"]\n')
        account.own(config, 0o600)
        relay = vps.start("relay", "-c", config)
        m = relay.wait_for(r"^listening on (127\.0\.0\.1:\d+) key (burrow-ed25519 \S+)$")
        assert m.group(2) == keys["vps"], relay.report()
        reach = ["--relay", m.group(1), "--relay-key", m.group(2)]

        endpoint = lab.start("endpoint", *reach, "--name", "lab", "--service", f"echo=127.0.0.1:{echo.port}",
                             "--allow", keys["laptop"])
        endpoint.wait_for(r"^registered as lab with relay ")
        forward = laptop.start("forward", *reach, "-L", "0:lab:echo")
        port = int(forward.wait_for(r"^forwarding 127\.0\.0\.1:(\d+) -> lab/echo$").group(1))
        forward.wait_for(r"-> lab/echo: ok", stream="stderr")

        for proc in (relay, endpoint, forward):
            assert os.stat(f"/proc/{proc.p.pid}").st_uid == account.uid, proc.report()

        payload = b"burrow portable\n" + os.urandom(2 * 1024 * 1024)
        got = exchange(port, payload)
        assert got == payload, (f"through the forward: {len(got)} bytes back of {len(payload)}\n"
                                + "".join(p.report() for m in machines for p in m.procs))
        got = laptop.run([laptop.burrow, "connect", *reach, "lab/echo"], input=payload)
        assert got == payload, f"through burrow connect: {len(got)} bytes back of {len(payload)}"

        for machine in machines:
            identity = machine.home / ".config" / "burrow" / "id_ed25519"
            assert identity.stat().st_uid == account.uid and identity.stat().st_mode & 0o077 == 0
        assert not list((root / "cwd").iterdir()), "burrow wrote into its working directory"
    finally:
        for machine in machines:
            for proc in machine.procs:
                proc.stop()
        echo.close()
        shutil.rmtree(root, ignore_errors=True)
