"""What a user reads about the command line: `burrow --version`, the man
page built by help2man (BUILD/deploy/burrow.1) and the bash completion
(deploy/completion/burrow). Both are checked against the subcommands and
options of the built burrow's --help, so they cannot fall behind it."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BURROW_BUILD_DIR", REPO / "build"))
BURROW = os.environ.get("BURROW_BIN", str(BUILD / "burrow"))
VERSION = os.environ.get("BURROW_VERSION") or re.search(
    r"project\(burrow VERSION (\S+)", (REPO / "CMakeLists.txt").read_text()).group(1)
COMPLETION = REPO / "deploy" / "completion" / "burrow"


def run(argv, **kw):
    r = subprocess.run([str(a) for a in argv], capture_output=True, timeout=60, **kw)
    assert r.returncode == 0, f"$ {argv}\n{r.stdout.decode()}\n{r.stderr.decode()}"
    return r.stdout.decode()


def section(text, name):
    """First words of the lines of a CLI11 --help section ("Subcommands", "Options")."""
    out, on = [], False
    for line in text.splitlines():
        if line == f"{name}:":
            on = True
        elif line and not line.startswith(" "):
            on = False
        elif on and line.strip():
            out.append(line.split()[0])
    return out


def subcommand_paths(path=()):
    """Every subcommand path of the built burrow: ("relay",), ("relay", "reload"), ..."""
    found = []
    for sub in section(run([BURROW, *path, "--help"]), "Subcommands"):
        found.append((*path, sub))
        found += subcommand_paths((*path, sub))
    return found


def options(path):
    """The option names of `burrow PATH --help` (-c and --config from "-c,--config")."""
    names = []
    for first in section(run([BURROW, *path, "--help"]), "Options"):
        names += [n for n in first.split(",") if n.startswith("-")]
    return names


# ---------------------------------------------------------------- --version

def test_version_names_the_release_and_the_commit():
    line = run([BURROW, "--version"]).strip()
    m = re.fullmatch(rf"burrow {re.escape(VERSION)} \(commit ([0-9a-f]{{12}}(?:-dirty)?|unknown)\)", line)
    assert m, line
    head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short=12", "HEAD"], capture_output=True)
    if head.returncode == 0:  # built from this checkout
        assert m.group(1).split("-")[0] == head.stdout.decode().strip(), f"{line}: not HEAD (rebuild?)"


def version_header(tmp_path, source):
    out = tmp_path / "version_info.hpp"
    run(["cmake", f"-DSOURCE_DIR={source}", "-DVERSION=9.8.7", f"-DOUTPUT={out}",
         "-P", REPO / "app" / "version.cmake"])
    return out.read_text()


def test_version_without_git_says_unknown(tmp_path):
    tarball = tmp_path / "burrow-9.8.7"  # an unpacked release: no .git
    tarball.mkdir()
    header = version_header(tmp_path, tarball)
    assert '#define BURROW_VERSION "9.8.7"' in header
    assert '#define BURROW_COMMIT "unknown"' in header


def test_version_of_a_checkout_with_changes_is_dirty(tmp_path):
    if not shutil.which("git"):
        pytest.skip("no git")
    repo = tmp_path / "checkout"
    repo.mkdir()
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
    (repo / "f").write_text("1\n")
    for argv in (["init", "-q"], ["add", "f"], ["commit", "-qm", "one"]):
        run(["git", "-C", repo, *argv], env=env)
    head = run(["git", "-C", repo, "rev-parse", "--short=12", "HEAD"]).strip()
    assert f'#define BURROW_COMMIT "{head}"' in version_header(tmp_path, repo)
    (repo / "f").write_text("2\n")
    assert f'#define BURROW_COMMIT "{head}-dirty"' in version_header(tmp_path, repo)


# ---------------------------------------------------------------- man page

@pytest.fixture(scope="module")
def man_text():
    page = BUILD / "deploy" / "burrow.1"
    assert page.is_file(), f"no {page}: is help2man installed (scripts/deps)?"
    if not shutil.which("man"):
        return page.read_text()
    text = run(["man", "-l", page], env=dict(os.environ, MANWIDTH="200"))
    return re.sub(r".\x08", "", text)  # bold and underline as overstrikes, when not on a terminal


def test_the_man_page_has_every_subcommand_and_option(man_text):
    paths = subcommand_paths()
    assert ("relay", "reload") in paths and ("ls",) in paths, paths
    for path in paths:
        assert f"burrow {' '.join(path)}" in man_text, f"the man page lacks 'burrow {' '.join(path)}'"
        missing = [o for o in options(path) if o not in man_text]
        assert not missing, f"the man page lacks options of burrow {' '.join(path)}: {missing}"
    for part in ("FILES", "ENVIRONMENT", "EXIT STATUS", "BURROW_HOME", "NOTIFY_SOCKET"):
        assert part in man_text


# ---------------------------------------------------------------- bash completion

def complete(*words):
    """What bash offers for `burrow WORDS` with the cursor after the last word."""
    script = (f"source {COMPLETION}\n"
              'COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n'
              '_burrow; printf "%s\\n" "${COMPREPLY[@]}"\n')
    return run(["bash", "--norc", "-c", script, "bash", BURROW, *words]).split()


def test_completion_completes_subcommands_and_their_options():
    assert complete("re") == ["relay"]
    assert complete("relay", "re") == ["reload"]
    assert complete("--log-level", "debug", "endpoint", "--re") == ["--relay", "--relay-key"]
    assert complete("--log-level", "d") == ["debug"]
    assert complete("id", "--f") == ["--file", "--fingerprint"]


def test_completion_offers_every_subcommand_and_option():
    for path in [(), *subcommand_paths()]:
        subs = section(run([BURROW, *path, "--help"]), "Subcommands")
        assert sorted(complete(*path, "")) == sorted(subs), path
        assert set(complete(*path, "-")) == set(options(path)), path


def test_completion_is_registered_for_burrow():
    out = run(["bash", "--norc", "-c", f"source {COMPLETION}; complete -p burrow"])
    assert out.strip() == "complete -F _burrow burrow"
