"""deploy/docker/Dockerfile cannot be built here (no container engine), so
this checks what can go wrong without building it: the build stage installs
what scripts/deps says building needs, the runtime stage installs the
package of every shared library burrow links (as dpkg sees
them on this Debian 12 machine), and it runs the relay as a non-root user
with the port exposed and its state in a volume."""
import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "docker" / "Dockerfile"
BURROW = os.environ.get("BURROW_BIN", str(REPO / "build" / "burrow"))
IN_DEBIAN_SLIM = {"libc6", "libgcc-s1", "libstdc++6"}  # essential, in every debian:12-slim


def stages():
    """[(FROM line, [instruction lines])] with continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("FROM "):
            out.append((line, []))
        else:
            out[-1][1].append(line)
    return out


def apt_packages(instructions):
    found = set()
    for line in instructions:
        for command in line.split("&&"):
            words = command.split()
            if words[:2] == ["apt-get", "install"] or words[1:3] == ["apt-get", "install"]:
                found |= {w for w in words[words.index("install") + 1:] if not w.startswith("-")}
    return found


def library_packages():
    """The Debian packages of the shared libraries the built burrow needs."""
    if os.environ.get("BURROW_SANITIZED") == "1":
        pytest.skip("the sanitized build links the sanitizer runtimes, which the image does not carry")
    ldd = subprocess.run(["ldd", BURROW], capture_output=True, check=True).stdout.decode()
    paths = re.findall(r"=> (/\S+)", ldd)
    assert paths, ldd
    packages = set()
    for path in paths:
        owner = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True)
        if owner.returncode != 0:  # merged /usr: dpkg knows the /lib path
            owner = subprocess.run(["dpkg", "-S", path.replace("/usr/lib/", "/lib/", 1)], capture_output=True)
        assert owner.returncode == 0, f"no package owns {path}: {owner.stderr!r}"
        packages.add(owner.stdout.decode().split(":")[0])
    return packages


def test_two_debian_12_slim_stages():
    froms = [f for f, _ in stages()]
    assert len(froms) == 2, froms
    assert all(f.split()[1] == "debian:12-slim" for f in froms), froms


def build_packages():
    """The `build` list of scripts/deps: what building burrow needs."""
    text = (REPO / "scripts" / "deps").read_text()
    listed = re.search(r"^build=\((.*?)\)", text, re.S | re.M)
    assert listed, "no build=( ... ) in scripts/deps"
    return set(listed.group(1).split())


def test_the_build_stage_has_every_library_burrow_builds_with():
    build = apt_packages(stages()[0][1])
    # compilers and tools the image has its own way (or does without: no tests, no man page)
    not_needed = {"build-essential", "ccache", "libgtest-dev", "curl", "python3", "help2man"}
    missing = build_packages() - not_needed - build
    assert not missing, f"the build stage would lack {missing} (it installs {sorted(build)})"


def test_the_runtime_stage_has_every_library_burrow_links():
    runtime = apt_packages(stages()[-1][1])
    missing = library_packages() - runtime - IN_DEBIAN_SLIM
    assert not missing, f"the image would lack {missing} (it installs {sorted(runtime)})"


def test_the_relay_runs_unprivileged_with_its_port_and_state():
    lines = stages()[-1][1]
    users = [l.split()[1] for l in lines if l.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), users
    assert "EXPOSE 7443" in lines
    assert any(l.startswith("VOLUME") and "/var/lib/burrow" in l for l in lines), lines
    assert 'CMD ["relay", "-c", "/etc/burrow/relay.toml"]' in lines
