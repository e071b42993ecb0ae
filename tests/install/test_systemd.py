"""The systemd units in deploy/systemd: systemd-analyze verify finds nothing
to say about them, and they keep the hardening and the commands the README
promises. (Readiness, READY=1 on $NOTIFY_SOCKET, is
tests/integration/test_service_notify.py.)"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "deploy" / "systemd"
BUILD = Path(os.environ.get("BURROW_BUILD_DIR", REPO / "build"))
BURROW = os.environ.get("BURROW_BIN", str(BUILD / "burrow"))
MAN_PAGE = BUILD / "deploy" / "burrow.1"  # Documentation=man:burrow(1) must open
SYSTEM_UNITS = ["burrow-relay.service", "burrow-endpoint.service"]
USER_UNITS = ["burrow-forward@.service"]


def settings(unit):
    """{key: [values]} of a unit file's [Service] section."""
    out, section = {}, None
    for line in (UNITS / unit).read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            out.setdefault(key, []).append(value)
    return out


def verify(tmp_path, unit, user):
    """systemd-analyze verify on a copy of `unit` that runs this build's burrow."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is missing (Debian package systemd)")
    folder = tmp_path / "units"
    folder.mkdir(exist_ok=True)
    (folder / unit).write_text((UNITS / unit).read_text().replace("/usr/bin/burrow", BURROW))
    runtime = tmp_path / "runtime"  # a user manager wants one
    runtime.mkdir(mode=0o700, exist_ok=True)
    assert MAN_PAGE.is_file(), f"no {MAN_PAGE}: is help2man installed (scripts/deps)?"
    man1 = tmp_path / "man" / "man1"
    man1.mkdir(parents=True, exist_ok=True)
    shutil.copy(MAN_PAGE, man1)
    name = unit.replace("@.", "@test.")  # a template is verified through an instance
    argv = ["systemd-analyze", *(["--user"] if user else []), "verify", str(folder / name)]
    r = subprocess.run(argv, capture_output=True, timeout=60, cwd=folder,
                       env=dict(os.environ, XDG_RUNTIME_DIR=str(runtime), MANPATH=str(tmp_path / "man")))
    # verify exits 0 after warnings such as an unknown key or a bad value: any output fails
    said = (r.stdout + r.stderr).decode(errors="replace").strip()
    assert r.returncode == 0 and not said, f"$ {' '.join(argv)}\nexit {r.returncode}\n{said}"


@pytest.mark.parametrize("unit", SYSTEM_UNITS)
def test_system_unit_verifies(tmp_path, unit):
    verify(tmp_path, unit, user=False)


@pytest.mark.parametrize("unit", USER_UNITS)
def test_user_unit_verifies(tmp_path, unit):
    verify(tmp_path, unit, user=True)


@pytest.mark.parametrize("unit,role", [("burrow-relay.service", "relay"), ("burrow-endpoint.service", "endpoint")])
def test_services_are_hardened_and_reload_through_burrow(unit, role):
    s = settings(unit)
    expected = {
        "Type": ["notify"],
        "ExecStart": [f"/usr/bin/burrow {role} -c /etc/burrow/{role}.toml"],
        "ExecReload": [f"/usr/bin/burrow {role} reload -c /etc/burrow/{role}.toml"],
        "Restart": ["on-failure"],
        "User": ["burrow"],
        "StateDirectory": ["burrow"],
        "Environment": ["BURROW_HOME=/var/lib/burrow"],
        "NoNewPrivileges": ["yes"],
        "ProtectSystem": ["strict"],
        "ProtectHome": ["yes"],
        "PrivateTmp": ["yes"],
        "CapabilityBoundingSet": [""],
        "AmbientCapabilities": [""],
        "RestrictAddressFamilies": ["AF_INET AF_INET6 AF_UNIX" + (" AF_NETLINK" if role == "endpoint" else "")],
    }
    wrong = {k: (s.get(k), v) for k, v in expected.items() if s.get(k) != v}
    assert not wrong, f"{unit}: (found, expected) {wrong}"


def test_forward_unit_reads_the_instance_config():
    s = settings("burrow-forward@.service")
    assert s["Type"] == ["notify"]
    assert s["ExecStart"] == ["/usr/bin/burrow forward -c %E/burrow/%i.toml"]
    assert s["NoNewPrivileges"] == ["yes"]
