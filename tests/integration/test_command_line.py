"""The command line as a new user meets it: help and unknown commands,
options anywhere, default port, target forms, clear errors with exit codes."""
import re
import socket

import pytest

from conftest import BURROW, describe, error_lines, run

COMMANDS = ("relay", "endpoint", "forward", "connect", "ls", "wake", "keygen", "id", "known", "help")


def listed_commands(text):
    return {m.group(1) for m in re.finditer(r"^  (\w+)\s{2,}", text, re.M)}


def test_no_command_lists_the_commands(burrow):
    result = burrow()
    assert result.returncode == 2, describe(result)
    err = result.stderr.decode()
    assert err.startswith("burrow: a command is required\n"), describe(result)
    assert set(COMMANDS) <= listed_commands(err), describe(result)


@pytest.mark.parametrize("word", ["stats", "frobnicate"])
def test_unknown_command_is_named_and_the_commands_listed(burrow, word):
    result = burrow(word)
    assert result.returncode == 2, describe(result)
    err = result.stderr.decode()
    assert err.startswith(f"burrow: unknown command '{word}'\n"), describe(result)
    assert set(COMMANDS) <= listed_commands(err), describe(result)


def test_help_lists_commands_and_files(burrow):
    result = burrow("help")
    assert result.returncode == 0, describe(result)
    out = result.stdout.decode()
    assert set(COMMANDS) <= listed_commands(out), describe(result)
    assert "BURROW_HOME" in out and "XDG_CONFIG_HOME" in out and "BURROW_RELAY" in out, out


def test_help_of_one_command(burrow):
    result = burrow("help", "forward")
    assert result.returncode == 0 and "-L" in result.stdout.decode(), describe(result)
    assert "--no-config-forwards" in result.stdout.decode(), describe(result)


def test_parse_errors_start_with_burrow(burrow):
    result = burrow("forward", "--bogus")
    assert result.returncode == 2, describe(result)
    assert error_lines(result) and "--bogus" in result.stderr.decode(), describe(result)


def test_global_option_after_the_command(relay, burrow):
    result = burrow("ls", *relay.args, "--log-level", "debug")
    assert result.returncode == 0, describe(result)
    assert " debug " in result.stderr.decode(), describe(result)


def test_relay_without_port_means_7443(burrow):
    with socket.socket() as probe:  # the test needs 7443 free on this machine
        if probe.connect_ex(("127.0.0.1", 7443)) == 0:
            pytest.skip("something listens on 127.0.0.1:7443")
    result = burrow("ls", "--relay", "127.0.0.1", input=b"")
    assert result.returncode == 1, describe(result)
    assert error_lines(result) == ["burrow: relay 127.0.0.1:7443 unreachable: connection refused"], describe(result)


def test_ls_with_nothing_online_says_so(relay, burrow):
    result = burrow("ls", *relay.args)
    assert result.returncode == 0 and result.stdout == b"", describe(result)
    assert f"no endpoint you may open is online at relay {relay.addr}" in result.stderr.decode(), describe(result)


@pytest.mark.parametrize("target", [["lab/web"], ["lab", "web"]], ids=["slash", "two-words"])
def test_connect_takes_both_target_forms(relay, endpoint, http_server, burrow, target):
    endpoint({"web": http_server.addr})
    result = burrow("connect", *relay.args, *target, input=b"GET /small.txt HTTP/1.0\r\n\r\n")
    assert result.returncode == 0, describe(result)
    assert result.stdout.endswith(b"hello from the lab web server\n"), describe(result)


def test_connect_with_service_twice_is_a_usage_error(relay, burrow):
    result = burrow("connect", *relay.args, "lab/web", "web", input=b"")
    assert result.returncode == 2, describe(result)
    assert error_lines(result) == [
        "burrow: give the target as 'endpoint/service' or as 'endpoint service', not both"], describe(result)


def test_relay_pointed_at_sshd_is_named(sshd, burrow):
    result = burrow("ls", "--relay", sshd.addr, input=b"")
    assert result.returncode == 1, describe(result)
    assert result.stderr.decode().splitlines()[-1] == (
        f"burrow: {sshd.addr} is not a burrow relay: it answered without TLS \u2014 is it an ssh server?"), \
        describe(result)
    assert "0A00010B" not in result.stderr.decode(), describe(result)


def test_relay_pointed_at_a_web_server_is_named(http_server, burrow):
    result = burrow("ls", "--relay", http_server.addr, input=b"")
    assert result.returncode == 1, describe(result)
    assert error_lines(result)[-1].startswith(f"burrow: {http_server.addr} is not a burrow relay:"), describe(result)


def test_config_forwards_can_be_left_out(relay, endpoint, http_server, procs, tmp_path, burrow_env):
    endpoint({"web": http_server.addr})
    config = tmp_path / "client.toml"
    config.write_text('forward = ["0:lab:web"]\n')
    proc = procs.start([BURROW, "forward", "-c", config, *relay.args, "--no-config-forwards", "-L", "0:lab:ssh"],
                       name="forward")
    proc.wait_for_line("forwarding ")
    proc.wait_for_line(contains="-> lab/ssh: ", stream="stderr")
    assert [l for l in proc.lines["stdout"] if l.startswith("forwarding ")] == [
        l for l in proc.lines["stdout"] if l.endswith("-> lab/ssh")], proc.report()


def test_port_clash_names_the_config_file(relay, burrow, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "client.toml"
        config.write_text(f'forward = ["127.0.0.1:{port}:lab:web"]\n')
        result = burrow("forward", "-c", config, *relay.args)
    assert result.returncode == 1, describe(result)
    assert error_lines(result) == [f"burrow: -l 127.0.0.1:{port} (from {str(config).lower()}): address already in use"], \
        describe(result)


def test_keygen_refuses_to_overwrite_and_force_replaces(burrow, tmp_path, base_env):
    env = dict(base_env, BURROW_HOME=str(tmp_path / "home"))
    path = tmp_path / "home" / "id_ed25519"
    first = burrow("keygen", env=env)
    assert first.returncode == 0, describe(first)
    old = burrow("id", "--fingerprint", env=env).stdout.decode().strip()
    again = burrow("keygen", env=env)
    assert again.returncode == 1, describe(again)
    assert error_lines(again)[0].startswith(f"burrow: {str(path).lower()} already exists: not overwriting it"), \
        describe(again)
    assert "--force" in again.stderr.decode(), describe(again)
    forced = burrow("keygen", "--force", env=env)
    assert forced.returncode == 0, describe(forced)
    assert f"Replaced {path} (it was {old})." in forced.stdout.decode(), describe(forced)
    new = burrow("id", "--fingerprint", env=env).stdout.decode().strip()
    assert new != old and new.startswith("SHA256:"), (old, new)
    assert burrow("id", env=env).stdout.decode().split()[:2] == \
        (path.parent / "id_ed25519.pub").read_text().split()[:2]


def test_known_lists_and_removes_pins(relay, endpoint, http_server, burrow, keys):
    endpoint({"web": http_server.addr})
    env = keys.env("client")
    empty = burrow("known", env=env)
    assert empty.returncode == 0 and empty.stdout == b"", describe(empty)
    assert "no pins yet" in empty.stderr.decode(), describe(empty)
    # Trust on first use of the relay and of the endpoint.
    result = burrow("connect", "--relay", relay.addr, "lab/web", input=b"GET /small.txt HTTP/1.0\r\n\r\n", env=env)
    assert result.returncode == 0, describe(result)
    listed = burrow("known", env=env).stdout.decode().splitlines()
    assert len(listed) == 2, listed
    assert re.match(rf"relay\s+{re.escape(relay.addr)}\s+SHA256:\S+\s+trusted on first use \(.*known_relays:1\)",
                    listed[0]), listed
    assert re.match(rf"endpoint\s+lab@{re.escape(relay.addr)}\s+SHA256:\S+\s+trusted on first use "
                    r"\(.*known_endpoints:1\)", listed[1]), listed
    removed = burrow("known", "rm", "lab", env=env)
    assert removed.returncode == 0 and f"removed 1 pin(s) of lab@{relay.addr}" in removed.stdout.decode(), \
        describe(removed)
    assert len(burrow("known", env=env).stdout.decode().splitlines()) == 1
    missing = burrow("known", "rm", "lab", env=env)
    assert missing.returncode == 1, describe(missing)
    assert error_lines(missing)[0].startswith("burrow: no pin of 'lab'"), describe(missing)
