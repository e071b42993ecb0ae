"""burrow ls lists the online endpoints with their sorted services."""
import json
import time

from conftest import describe, wait_for


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
    wait_for("gpu no longer listed after it stopped", lambda: listing(burrow, relay)[0] == {"lab ssh web"},
             state=lambda: listing(burrow, relay)[0])


def test_ls_long_and_json_show_online_offline_address_and_since(make_relay, endpoint, burrow, keys):
    relay = make_relay(clients={"client": ["lab/*", "gpu/ssh"]})
    lab = endpoint({"web": "127.0.0.1:1", "ssh": "127.0.0.1:2"}, name="lab", relay=relay)
    # The times shown are Unix seconds of the relay's clock, this machine's:
    # each falls between the whole seconds read before and after its event.
    before_gpu = int(time.time())
    endpoint({"ssh": "127.0.0.1:3", "jupyter": "127.0.0.1:4"}, name="gpu", relay=relay)
    before_stop = int(time.time())
    lab.stop()
    relay.proc.wait_for_line(contains="endpoint 'lab' offline", stream="stderr")
    after_stop = int(time.time())

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
    assert listed["gpu"]["address"] == "127.0.0.1", listed
    assert before_gpu <= listed["gpu"]["online_since"] <= before_stop, listed
    assert listed["lab"]["online"] is False and listed["lab"]["services"] == [], listed
    assert before_stop <= listed["lab"]["last_seen"] <= after_stop, listed
    assert isinstance(listed["lab"]["wake_via"], list), listed  # who could depends on this machine's interfaces
