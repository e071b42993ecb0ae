"""burrow ls lists the online endpoints with their sorted services."""
import json
import time

from conftest import COMMAND_TIMEOUT, describe


def listing(burrow, relay):
    result = burrow("ls", *relay.args)
    assert result.returncode == 0, describe(result)
    return {" ".join(line.split()) for line in result.stdout.decode().splitlines()
            if line.strip()}, result


def test_ls_lists_endpoints_and_services(relay, endpoint, burrow):
    endpoint({"web": "127.0.0.1:1", "ssh": "127.0.0.1:2"}, name="lab")
    gpu = endpoint({"tensorboard": "127.0.0.1:3", "jupyter": "127.0.0.1:4"}, name="gpu")
    lines, result = listing(burrow, relay)
    assert lines == {"lab ssh web", "gpu jupyter tensorboard"}, describe(result)

    gpu.stop()
    deadline = time.monotonic() + COMMAND_TIMEOUT
    while (lines := listing(burrow, relay)[0]) != {"lab ssh web"}:
        assert time.monotonic() < deadline, f"gpu still listed after it stopped: {lines}"
        time.sleep(0.2)


def test_ls_long_and_json_show_online_offline_address_and_since(make_relay, endpoint, burrow, keys):
    relay = make_relay(clients={"client": ["lab/*", "gpu/ssh"]})
    lab = endpoint({"web": "127.0.0.1:1", "ssh": "127.0.0.1:2"}, name="lab", relay=relay)
    endpoint({"ssh": "127.0.0.1:3", "jupyter": "127.0.0.1:4"}, name="gpu", relay=relay)
    before = int(time.time())
    lab.stop()
    relay.proc.wait_for_line(contains="endpoint 'lab' offline", stream="stderr")

    result = burrow("ls", *relay.args, "-l")
    assert result.returncode == 0, describe(result)
    rows = {line.split()[0]: line.split() for line in result.stdout.decode().splitlines()}
    assert set(rows) == {"gpu", "lab"}, describe(result)
    # NAME STATE since|last seen DATE TIME ADDRESS SERVICES [wake via ...]
    assert rows["gpu"][1:3] == ["online", "since"] and rows["gpu"][5:7] == ["127.0.0.1", "ssh"], describe(result)
    assert rows["lab"][1:4] == ["offline", "last", "seen"] and rows["lab"][6:8] == ["127.0.0.1", "-"], describe(result)

    result = burrow("ls", *relay.args, "--json")
    assert result.returncode == 0, describe(result)
    listed = {e["name"]: e for e in json.loads(result.stdout)}
    assert listed["gpu"]["online"] is True and listed["gpu"]["services"] == ["ssh"], listed
    assert listed["gpu"]["address"] == "127.0.0.1" and listed["gpu"]["online_since"] <= int(time.time()) + 1, listed
    assert listed["lab"]["online"] is False and listed["lab"]["services"] == [], listed
    assert before - 60 <= listed["lab"]["last_seen"] <= int(time.time()) + 1, listed
    assert isinstance(listed["lab"]["wake_via"], list), listed  # who could depends on this machine's interfaces
