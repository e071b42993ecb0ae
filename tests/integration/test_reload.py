"""`burrow relay reload` and `burrow endpoint reload`: the running process
reloads its config file over its control socket and the command says how it
went: exit 0 and a summary, or exit 1 and the config error (file:line) while
the old configuration stays in force, or exit 1 and a clear line when no such
process is running."""
import re
import signal

import pytest

from clients import digest_reply
from conftest import describe, error_lines, relay_toml, start_endpoint, start_relay


def reload_ok(result, says):
    assert result.returncode == 0, describe(result)
    assert says in result.stdout.decode(), describe(result)
    assert result.stderr == b"", describe(result)


def reload_refused(result, filename, line):
    """Exit 1 and a `burrow: ` line naming the file and line of the error."""
    assert result.returncode == 1, describe(result)
    assert any(re.search(rf"{re.escape(filename)}:{line}\b", l) for l in error_lines(result)), describe(result)
    assert result.stdout == b"", describe(result)


def digest_ok(burrow, relay, service, data):
    result = burrow("connect", *relay.args, "lab", service, input=data)
    assert result.returncode == 0 and result.stdout == digest_reply(data), describe(result)


def listed(burrow, relay):
    result = burrow("ls", *relay.args)
    assert result.returncode == 0, describe(result)
    return result.stdout.decode().split()


# ---------------------------------------------------------------- relay

def test_relay_reload_applies_new_grants_and_refuses_a_broken_file(make_relay, endpoint, burrow, keys,
                                                                   digest_server, tmp_path):
    relay = make_relay(clients={"client": ["lab/web"]})
    endpoint({"web": digest_server.addr, "digest": digest_server.addr}, relay=relay)
    as_relay = keys.env("relay")  # the same user and BURROW_HOME as the relay: its default socket
    result = burrow("connect", *relay.args, "lab", "digest", input=b"x")
    assert result.returncode == 1 and "not allowed to open" in result.stderr.decode(), describe(result)

    relay.rewrite(clients={"client": ["lab/*"]})
    reload_ok(burrow("relay", "reload", "-c", relay.config, env=as_relay),
              f"configuration reloaded from {relay.config}: 2 endpoint(s) and 1 client(s) granted, "
              "0 session(s) closed")
    digest_ok(burrow, relay, "digest", b"granted by the reload")

    # A broken file: the error with its file and line, and the old grants stay.
    text = relay.config.read_text()
    relay.config.write_text("# broken\n" + text.replace("[[clients]]", "[[clients]\n", 1))
    line = relay.config.read_text().splitlines().index("[[clients]") + 1
    reload_refused(burrow("relay", "reload", "--control-socket", keys.home("relay") / "relay.sock",
                          env=as_relay), relay.config.name, line)
    relay.proc.wait_for_line(contains="reload refused", stream="stderr")
    # With -c the command reads the same file to find the socket: the same error, nothing sent.
    reload_refused(burrow("relay", "reload", "-c", relay.config, env=as_relay), relay.config.name, line)
    assert relay.proc.alive(), relay.proc.report()
    digest_ok(burrow, relay, "digest", b"still granted")
    digest_ok(burrow, relay, "web", b"and the rest too")


def test_relay_control_socket_from_the_config(procs, keys, burrow, tmp_path):
    """`control_socket` in relay.toml, relative to the file's folder; the
    socket is private and removed when the relay stops."""
    (tmp_path / "relay_id").write_bytes(keys.file("relay").read_bytes())
    (tmp_path / "relay_id").chmod(0o600)
    config = tmp_path / "relay.toml"
    config.write_text(relay_toml(key="relay_id") + 'control_socket = "run/relay.sock"\n')
    relay = start_relay(procs, "-c", config, env=keys.env("relay"))
    socket_file = tmp_path / "run" / "relay.sock"
    assert socket_file.is_socket() and socket_file.stat().st_mode & 0o777 == 0o600
    assert not (keys.home("relay") / "relay.sock").exists()

    elsewhere = keys.env("nobody")  # another BURROW_HOME: only the config leads to the socket
    reload_ok(burrow("relay", "reload", "-c", config, env=elsewhere), "configuration reloaded from")
    relay.proc.p.send_signal(signal.SIGTERM)
    assert relay.proc.wait_exit() == 0, relay.proc.report()
    assert not socket_file.exists()


def test_reload_without_a_running_relay_says_so(make_relay, burrow, keys, tmp_path):
    socket_file = tmp_path / "nothing.sock"
    result = burrow("relay", "reload", "--control-socket", socket_file)
    assert result.returncode == 1, describe(result)
    assert error_lines(result) == [f"burrow: no relay listening on {socket_file}: is it running?"], \
        describe(result)

    # a relay killed with -9 leaves its socket file behind: the same answer
    relay = make_relay()
    relay.proc.p.kill()
    relay.proc.wait_exit()
    stale = keys.home("relay") / "relay.sock"
    assert stale.is_socket()
    result = burrow("relay", "reload", "-c", relay.config, env=keys.env("relay"))
    assert result.returncode == 1, describe(result)
    assert error_lines(result) == [f"burrow: no relay listening on {stale}: is it running?"], describe(result)
    # ... and the next relay takes the place over
    relay = make_relay()
    reload_ok(burrow("relay", "reload", "--control-socket", stale), "configuration reloaded")


# ---------------------------------------------------------------- endpoint

def endpoint_toml(relay, services):
    return (f'name = "lab"\nrelay = "{relay.addr}"\nrelay_key = "{relay.key}"\n\n[services]\n' +
            "".join(f'{name} = "{addr}"\n' for name, addr in services.items()))


def test_endpoint_reload_adds_a_service_and_refuses_a_broken_file(relay, procs, keys, burrow,
                                                                  digest_server, tmp_path):
    config = tmp_path / "endpoint.toml"
    config.write_text(endpoint_toml(relay, {"web": digest_server.addr}))
    ep = start_endpoint(procs, "-c", config, env=keys.env("lab"))
    as_endpoint = keys.env("lab")
    assert listed(burrow, relay) == ["lab", "web"]

    config.write_text(endpoint_toml(relay, {"web": digest_server.addr, "digest": digest_server.addr}))
    reload_ok(burrow("endpoint", "reload", env=as_endpoint), f"services reloaded from {config}: digest web")
    assert listed(burrow, relay) == ["lab", "digest", "web"]
    digest_ok(burrow, relay, "digest", b"a new service")

    config.write_text(endpoint_toml(relay, {"web": digest_server.addr}) + "ssh = 22\n")
    reload_refused(burrow("endpoint", "reload", "--control-socket", keys.home("lab") / "endpoint.sock",
                          env=as_endpoint), config.name, 7)
    ep.wait_for_line(contains="reload refused", stream="stderr")
    assert ep.alive(), ep.report()
    assert listed(burrow, relay) == ["lab", "digest", "web"]
    digest_ok(burrow, relay, "digest", b"the old services stay")


def test_endpoint_reload_without_a_running_endpoint_says_so(burrow, keys):
    result = burrow("endpoint", "reload", env=keys.env("lab"))
    assert result.returncode == 1, describe(result)
    assert error_lines(result) == [
        f"burrow: no endpoint listening on {keys.home('lab') / 'endpoint.sock'}: is it running?"], describe(result)


def test_reload_of_processes_started_without_a_config_file(procs, relay, endpoint, burrow, keys):
    start_relay(procs, "--listen", "127.0.0.1:0", env=keys.env("relay2"))
    endpoint({"web": "127.0.0.1:1"})
    result = burrow("relay", "reload", env=keys.env("relay2"))
    assert result.returncode == 1, describe(result)
    assert any("started without a config file (-c): nothing to reload" in l
               for l in error_lines(result)), describe(result)
    # The endpoint's allowed_clients file is read again even so; its services stay.
    result = burrow("endpoint", "reload", env=keys.env("lab"))
    assert result.returncode == 0, describe(result)
    assert result.stdout == b"allowed clients reloaded: 1 client(s) allowed (no config file (-c): the services stay)\n", \
        describe(result)
