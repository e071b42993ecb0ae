"""tcp_congestion: each role's session connections use the congestion control
its config names, as the kernel reports it (`ss -ti`); one the kernel refuses
is said once, and the sessions go on with the system's default."""
import os
import re
import subprocess

import pytest

from clients import curl_check
from conftest import describe, start_endpoint, start_forward, wait_for


def sysctl(name):
    with open(f"/proc/sys/net/ipv4/{name}") as f:
        return f.read().split()


def settable():
    """Algorithms this process may set that are not the default, so that a
    connection using one shows the setting took."""
    default = sysctl("tcp_congestion_control")[0]
    may = sysctl("tcp_available_congestion_control")
    if os.geteuid() != 0:
        may = [a for a in may if a in sysctl("tcp_allowed_congestion_control")]
    return [a for a in may if a != default]


def algorithms(local_port=None, peer_port=None):
    """The congestion control of each established loopback TCP connection
    whose local port (or peer port) is given, as `ss -ti` reports it."""
    selector = f"sport = :{local_port}" if local_port else f"dport = :{peer_port}"
    out = subprocess.run(["ss", "-tinH", "state", "established", selector],
                         capture_output=True, text=True, check=True).stdout
    # ss prints each connection's line, then its details on the next, which name the algorithm
    found = []
    for line in out.splitlines():
        words = line.split()
        known = [w for w in words if w in sysctl("tcp_available_congestion_control")]
        if known:
            found.append(known[0])
    return found


@pytest.fixture
def choices():
    options = settable()
    if not options:
        pytest.skip("this kernel offers no congestion control besides its default")
    return options[0], options[-1]


def test_each_role_uses_the_congestion_control_of_its_config(make_relay, procs, keys, tmp_path, http_server,
                                                             choices):
    relay_choice, peer_choice = choices
    relay = make_relay(top=f'tcp_congestion = "{relay_choice}"\n')
    (tmp_path / "endpoint.toml").write_text(
        f'name = "lab"\nrelay = "{relay.addr}"\nrelay_key = "{relay.key}"\n'
        f'tcp_congestion = "{peer_choice}"\n\n[services]\nweb = "{http_server.addr}"\n')
    start_endpoint(procs, "-c", tmp_path / "endpoint.toml", env=keys.env("lab"))
    (tmp_path / "client.toml").write_text(
        f'relay = "{relay.addr}"\nrelay_key = "{relay.key}"\ntcp_congestion = "{peer_choice}"\n')
    fwd = start_forward(procs, "-c", tmp_path / "client.toml", specs=["0:lab:web"], env=keys.env("client"))
    curl_check(keys.env("client"), fwd.port_for("lab/web"), "small.txt", http_server.sha256["small.txt"])

    # the relay's two accepted connections, and the endpoint's and the client's dialed ones
    wait_for("two sessions at the relay", lambda: len(algorithms(local_port=relay.port)) == 2)
    assert algorithms(local_port=relay.port) == [relay_choice] * 2
    assert algorithms(peer_port=relay.port) == [peer_choice] * 2
    assert not [l for l in relay.proc.lines["stderr"] if "tcp_congestion" in l], relay.proc.report()


def test_a_name_the_kernel_refuses_is_said_once_and_the_default_stays(make_relay, endpoint, forward, burrow, keys,
                                                                      http_server):
    relay = make_relay(top='tcp_congestion = "nosuchcc"\n')
    endpoint({"web": http_server.addr}, relay=relay)
    fwd = forward("0:lab:web", relay=relay)
    curl_check(keys.env("client"), fwd.port_for("lab/web"), "small.txt", http_server.sha256["small.txt"])
    result = burrow("ls", *relay.args)
    assert result.returncode == 0, describe(result)
    said = [l for l in relay.proc.lines["stderr"] if "tcp_congestion" in l]
    assert len(said) == 1, relay.proc.report()
    assert re.search(r'tcp_congestion = "nosuchcc": the kernel refused it \(.+\); connections use the '
                     r"system's default, \w+", said[0]), said[0]
    default = sysctl("tcp_congestion_control")[0]
    # the endpoint's and the forward's connections (ls's is gone, or going)
    wait_for(f"the relay's two sessions on {default}", lambda: algorithms(local_port=relay.port) == [default] * 2,
             state=lambda: algorithms(local_port=relay.port))


@pytest.mark.parametrize("value", ['"BBR"', '""', '"bbr; rm -rf /"', '"a_name_longer_than_15"', "1"])
def test_a_malformed_name_is_a_config_error(burrow, tmp_path, value):
    (tmp_path / "relay.toml").write_text(f'listen = "127.0.0.1:0"\ntcp_congestion = {value}\n')
    result = burrow("relay", "-c", tmp_path / "relay.toml")
    assert result.returncode != 0, describe(result)
    assert "relay.toml:2" in result.stderr.decode(), describe(result)
    assert "'tcp_congestion' must name a TCP congestion control" in result.stderr.decode(), describe(result)


def test_a_reload_gives_new_connections_the_new_setting(make_relay, procs, keys, burrow, http_server, choices):
    first, second = choices
    if first == second:
        pytest.skip("this kernel offers one congestion control besides its default")
    relay = make_relay(top=f'tcp_congestion = "{first}"\n')
    start_endpoint(procs, *relay.args, "--name", "lab", "--service", f"web={http_server.addr}",
                   env=keys.env("lab"))
    wait_for("the endpoint's session", lambda: len(algorithms(local_port=relay.port)) == 1)
    assert algorithms(local_port=relay.port) == [first]

    relay.config.write_text(relay.config.read_text().replace(f'tcp_congestion = "{first}"',
                                                             f'tcp_congestion = "{second}"'))
    result = burrow("relay", "reload", "-c", relay.config, env=keys.env("relay"))
    assert result.returncode == 0, describe(result)
    relay.proc.wait_for_line(contains=f'new connections use tcp_congestion = "{second}"', stream="stderr")
    fwd = start_forward(procs, *relay.args, specs=["0:lab:web"], env=keys.env("client"))
    curl_check(keys.env("client"), fwd.port_for("lab/web"), "small.txt", http_server.sha256["small.txt"])
    wait_for("two sessions at the relay", lambda: len(algorithms(local_port=relay.port)) == 2)
    assert sorted(algorithms(local_port=relay.port)) == sorted([first, second])
