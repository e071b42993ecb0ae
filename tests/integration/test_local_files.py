"""burrow's own files on the machine it runs on: its folder is the user's
alone, its private key too; files it rewrites (the .pub, pins, client lists)
are replaced in one step, never written through a symlink, and processes
adding at once lose nothing; `burrow relay reload` asks only a control socket
served by its own user (or root)."""
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import BURROW, COMMAND_TIMEOUT, describe

NOBODY = 65534


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def key_line(keygen):
    """The `burrow-ed25519 BASE64` line `burrow keygen` printed."""
    return next(l for l in keygen.stdout.decode().splitlines() if l.startswith("burrow-ed25519 "))


def test_a_folder_others_may_read_is_made_private(burrow, keys):
    home = keys.home("lab")
    os.chmod(home, 0o755)
    result = burrow("id", env=keys.env("lab"))
    assert result.returncode == 0 and result.stdout.decode().startswith("burrow-ed25519 "), describe(result)
    assert f"{home} was 0755, readable by others; burrow made it 0700" in result.stderr.decode(), describe(result)
    assert mode(home) == 0o700


def test_a_folder_others_may_write_is_refused(burrow, keys):
    home = keys.home("lab")
    os.chmod(home, 0o777)
    result = burrow("id", env=keys.env("lab"))
    assert result.returncode == 1 and result.stdout == b"", describe(result)
    assert (f"bad owner or permissions on {home} (0777): others may write there" in result.stderr.decode()
            and f"chmod 700 {home}" in result.stderr.decode()), describe(result)
    assert mode(home) == 0o777


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a key to another user")
def test_a_key_owned_by_another_user_is_refused(burrow, keys):
    key = keys.file("lab")
    os.chown(key, NOBODY, NOBODY)
    result = burrow("id", env=keys.env("lab"))
    assert result.returncode == 1 and result.stdout == b"", describe(result)
    assert f"bad owner on '{key}': it belongs to uid {NOBODY}" in result.stderr.decode(), describe(result)


def test_keygen_replaces_a_symlinked_pub_and_leaves_its_target_alone(burrow, tmp_path, base_env):
    victim = tmp_path / "victim"
    victim.write_text("not burrow's\n")
    key = tmp_path / "keys" / "id_ed25519"
    key.parent.mkdir(mode=0o700)
    os.symlink(victim, f"{key}.pub")
    result = burrow("keygen", "-f", key, env=base_env)
    assert result.returncode == 0, describe(result)
    assert victim.read_text() == "not burrow's\n"
    pub = tmp_path / "keys" / "id_ed25519.pub"
    assert not pub.is_symlink() and pub.read_text().startswith("burrow-ed25519 ")
    assert key_line(result) == " ".join(pub.read_text().split()[:2]), describe(result)


def test_endpoints_allowed_at_once_are_all_kept(burrow, keys):
    env = keys.env("lab")
    made = []
    for i in range(12):
        r = burrow("keygen", "-f", keys.home("lab") / f"k{i}", env=env)
        assert r.returncode == 0, describe(r)
        made.append(key_line(r).split())
    procs = [subprocess.Popen([BURROW, "endpoint", "allow", " ".join(k), "--service", "ssh"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for k in made]
    for p in procs:
        _, err = p.communicate(timeout=COMMAND_TIMEOUT)
        assert p.returncode == 0, err
    lines = (keys.home("lab") / "allowed_clients").read_text().splitlines()
    assert len(lines) == 1 + len(made), lines  # the client the test set up, then each key once
    for k in made:
        assert sum(f"services=ssh {k[0]} {k[1]}" in line for line in lines) == 1, (k, lines)


SPOOF = """
import os, socket, sys
server = socket.socket(socket.AF_UNIX)
server.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
server.listen()
print("ready", flush=True)
conn, _ = server.accept()
conn.settimeout(60)  # only a hang ends the wait: the client sends its line, or closes
asked = b""
try:
    while not asked.endswith(b"\\n") and (chunk := conn.recv(100)):
        asked += chunk
    conn.sendall(b"ok reloaded, honestly\\n")
except OSError:
    pass
print("asked", asked.hex(), flush=True)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run processes as other users")
def test_reload_asks_no_control_socket_of_another_user(base_env):
    """Another user's socket where `reload` looks (here uid 65534's, in a
    shared folder): it would answer "ok", but the command (run as uid 4242)
    does not ask it."""
    folder = Path(tempfile.mkdtemp(prefix="burrow-shared-"))  # /tmp: every user can reach it
    os.chmod(folder, 0o777)
    binary = folder / "burrow"
    shutil.copy2(BURROW, binary)
    os.chmod(binary, 0o755)
    path = folder / "relay.sock"
    as_user = lambda uid: ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]  # noqa: E731
    server = subprocess.Popen([*as_user(NOBODY), "/usr/bin/python3", "-c", SPOOF, str(path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert server.stdout.readline() == b"ready\n", server.stderr.read()
        result = subprocess.run([*as_user(4242), binary, "relay", "reload", "--control-socket", str(path)],
                                env=dict(base_env, HOME="/nonexistent"), capture_output=True,
                                timeout=COMMAND_TIMEOUT)
        out, _ = server.communicate(timeout=COMMAND_TIMEOUT)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
        shutil.rmtree(folder, ignore_errors=True)
    assert result.returncode == 1, describe(result)
    assert (f"control socket {path} is served by uid {NOBODY}" in result.stderr.decode()
            and "not by you (uid 4242)" in result.stderr.decode()), describe(result)
    assert b"reloaded" not in result.stdout
    assert out == b"asked \n", out  # the request line was never sent
