"""burrow ls lists the online endpoints with their sorted services."""
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
