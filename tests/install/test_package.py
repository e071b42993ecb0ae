"""Installing burrow: `cmake --install` into a folder, and the Debian package
built by cpack, installed with dpkg -i, checked, and purged again.

BURROW_BUILD_DIR is the configured build tree (ctest passes it), BURROW_VERSION
the CMake project version. cpack stages and writes the package in a folder of
its own, so the build tree's burrow is left as it is.
"""
import os
import pwd
import re
import shlex
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BURROW_BUILD_DIR", REPO / "build"))
VERSION = os.environ.get("BURROW_VERSION") or re.search(
    r"project\(burrow VERSION (\S+)", (REPO / "CMakeLists.txt").read_text()).group(1)
TIMEOUT = 600

# What an install holds, relative to its prefix (etc/ is /etc for the package).
INSTALLED = [
    "bin/burrow",
    "etc/burrow/relay.toml",
    "etc/burrow/endpoint.toml",
    "share/doc/burrow/examples/relay.toml",
    "share/doc/burrow/examples/endpoint.toml",
    "share/doc/burrow/examples/client.toml",
    "lib/systemd/system/burrow-relay.service",
    "lib/systemd/system/burrow-endpoint.service",
    "lib/systemd/user/burrow-forward@.service",
    "share/man/man1/burrow.1",
    "share/bash-completion/completions/burrow",
]


def run(argv, **kw):
    argv = [str(a) for a in argv]
    r = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, **kw)
    assert r.returncode == 0, (f"$ {shlex.join(argv)}\nexit {r.returncode}\n"
                               f"{r.stdout.decode(errors='replace')}\n{r.stderr.decode(errors='replace')}")
    return r.stdout.decode()


def package_path(rel):
    """Where a file of INSTALLED lands from the package."""
    return Path("/" + rel) if rel.startswith("etc/") else Path("/usr") / rel


def user(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def test_cmake_install_lays_out_a_prefix_and_keeps_edited_configs(tmp_path):
    prefix = tmp_path / "prefix"
    run(["cmake", "--install", BUILD, "--prefix", prefix])
    # systemd --user finds user units of a prefix other than /usr or /usr/local in share/systemd/user.
    missing = [rel for rel in (r.replace("lib/systemd/user", "share/systemd/user") for r in INSTALLED)
               if not (prefix / rel).is_file()]
    assert not missing, f"not installed under {prefix}: {missing}"
    assert os.access(prefix / "bin" / "burrow", os.X_OK)
    assert (prefix / "etc/burrow/relay.toml").read_bytes() == (REPO / "deploy/examples/relay.toml").read_bytes()

    relay_unit = (prefix / "lib/systemd/system/burrow-relay.service").read_text()
    assert f"ExecStart={prefix}/bin/burrow relay -c {prefix}/etc/burrow/relay.toml\n" in relay_unit
    assert "/usr/bin/burrow" not in relay_unit

    edited = prefix / "etc/burrow/relay.toml"
    edited.write_text('listen = "0.0.0.0:443"\n')
    run(["cmake", "--install", BUILD, "--prefix", prefix])
    assert edited.read_text() == 'listen = "0.0.0.0:443"\n', "a second install overwrote an edited config"


def dpkg_status(name):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], capture_output=True)
    return r.stdout.decode() if r.returncode == 0 else ""


@pytest.fixture
def deb(tmp_path):
    """The .deb cpack makes from the build tree, in a folder of its own."""
    if os.geteuid() != 0:
        pytest.skip("installing a package needs root")
    if os.environ.get("BURROW_SANITIZED") == "1":
        pytest.skip("the package is made from the release build, not the sanitized one")
    if "installed" in dpkg_status("burrow"):
        pytest.skip("a burrow package is installed here already: not touching it")
    taken = [str(package_path(rel)) for rel in INSTALLED if package_path(rel).exists()]
    if taken:
        pytest.skip(f"files the package would replace exist already: {taken}")
    out = tmp_path / "cpack"
    run(["cpack", "--config", BUILD / "CPackConfig.cmake", "-G", "DEB", "-B", out])
    debs = list(out.glob("burrow_*.deb"))
    assert len(debs) == 1, f"cpack made {debs}"
    return debs[0]


def test_the_deb_installs_and_purges_cleanly(deb):
    fields = run(["dpkg-deb", "-f", deb, "Package", "Version", "Depends"])
    assert f"Version: {VERSION}" in fields, fields
    depends = fields.split("Depends:", 1)[1]
    for lib in ("libc6", "libssl3", "libsodium23", "adduser"):
        assert lib in depends, f"Depends lacks {lib}: {depends}"
    control = run(["dpkg-deb", "-I", deb, "conffiles"])
    assert set(control.split()) == {"/etc/burrow/relay.toml", "/etc/burrow/endpoint.toml"}, control

    user_before = user("burrow")
    try:
        run(["dpkg", "-i", deb])
        version = run(["/usr/bin/burrow", "--version"])
        assert version.startswith(f"burrow {VERSION} (commit "), version
        missing = [str(package_path(rel)) for rel in INSTALLED if not package_path(rel).is_file()]
        assert not missing, f"not installed: {missing}"
        listed = run(["dpkg-query", "-L", "burrow"]).split()
        for rel in INSTALLED:
            assert str(package_path(rel)) in listed, f"{package_path(rel)} is not the package's"

        enabled = [str(p) for p in Path("/etc/systemd").rglob("burrow*")]
        assert not enabled, f"the package enabled units: {enabled}"
        assert "ExecStart=/usr/bin/burrow relay -c /etc/burrow/relay.toml\n" in \
            Path("/usr/lib/systemd/system/burrow-relay.service").read_text()

        account = user("burrow")
        assert account, "postinst made no burrow user"
        assert account.pw_uid < 1000, f"burrow is not a system user: uid {account.pw_uid}"
        assert account.pw_shell in ("/usr/sbin/nologin", "/bin/false"), account.pw_shell

        run(["dpkg", "--purge", "burrow"])
        assert "installed" not in dpkg_status("burrow")
        left = [p for p in listed if p != "/." and Path(p).is_file()]
        assert not left, f"left after purge: {left}"
        for folder in ("/etc/burrow", "/var/lib/burrow", "/usr/share/doc/burrow"):
            assert not Path(folder).exists(), f"{folder} is left after purge"
        assert user("burrow"), "purge removed the burrow user (it should stay)"
    finally:
        if "installed" in dpkg_status("burrow") or "config-files" in dpkg_status("burrow"):
            subprocess.run(["dpkg", "--purge", "burrow"], capture_output=True)
        if user_before is None and user("burrow"):  # leave this machine as it was
            subprocess.run(["deluser", "--system", "--quiet", "burrow"], capture_output=True)
            subprocess.run(["delgroup", "--system", "--quiet", "burrow"], capture_output=True)
