"""Wake-on-LAN on the namespace network: the magic packet seen on the lab
LAN's wire (captured at the router's switch port to the GPU box), sent by
`burrow wake MAC` on the LAN and by `burrow wake gpu` from the laptop through
the relay and an always-on endpoint on the same LAN."""
import signal
import socket
import struct
import threading
import time

import pytest

from conftest import BURROW, COMMAND_TIMEOUT, describe, relay_toml
pytest_plugins = ["netns"]  # the mknet and rig fixtures (tests/integration/netns.py)


class Capture:
    """Wake-on-LAN frames on the router's port to the GPU box: (dst ip, port, payload)."""

    def __init__(self, net):
        self.sock = net.socket("router", socket.SOCK_RAW, family=socket.AF_PACKET)
        self.sock.bind(("lan-gpu", 0x0003))  # ETH_P_ALL
        self.sock.settimeout(0.2)

    def packets(self, count=1, timeout=COMMAND_TIMEOUT):
        seen, end = [], time.monotonic() + timeout
        while len(seen) < count and time.monotonic() < end:
            try:
                frame = self.sock.recv(65535)
            except socket.timeout:
                continue
            if struct.unpack("!H", frame[12:14])[0] != 0x0800 or frame[23] != 17:
                continue
            udp = frame[14 + (frame[14] & 0x0F) * 4:]
            port, length = struct.unpack("!HH", udp[2:6])
            if port == 9:
                seen.append((socket.inet_ntoa(frame[30:34]), port, udp[8:length]))
        assert len(seen) >= count, f"saw {len(seen)} wake packet(s) on the LAN, wanted {count}"
        return seen

    def close(self):
        self.sock.close()


@pytest.fixture
def capture(mknet):
    cap = Capture(mknet)
    yield cap
    cap.close()


def mac_of(net, node):
    return net.run(node, "cat", "/sys/class/net/eth0/address").stdout.decode().strip()


def magic(mac, password=b""):
    return b"\xff" * 6 + bytes.fromhex(mac.replace(":", "")) * 16 + password


@pytest.mark.parametrize("password,written", [(b"", None), (bytes([1, 2, 3, 4, 5, 6]), "01:02:03:04:05:06")],
                         ids=["plain", "secureon"])
def test_wake_mac_on_the_lan(rig, capture, password, written):
    mac = mac_of(rig.net, "gpubox")
    args = ["wake", mac, "--broadcast", "192.168.77.255"] + (["--password", written] if written else [])
    result = rig.net.run("lanhost", BURROW, *args)
    assert result.returncode == 0, describe(result)
    [(dst, port, payload)] = capture.packets()
    assert (dst, port) == ("192.168.77.255", 9)
    assert payload == magic(mac, password) and len(payload) == (108 if password else 102)


@pytest.fixture
def wake_rig(rig):
    """A relay that knows endpoints gpu (GPU box) and nas (LAN host); client
    `client` may open everything, `stranger` only gpu/ssh."""
    rig.start_relay(endpoints=[("gpu", rig.keys.pub("gpu")), ("nas", rig.keys.pub("lab"))],
                    clients=[("client", rig.keys.pub("client"), ["*/*"]),
                             ("stranger", rig.keys.pub("stranger"), ["gpu/ssh"])])
    return rig


def start_named(rig, node, name, role):
    argv = [BURROW, "endpoint", "--relay", rig.relay_addr, "--relay-key", rig.keys.pub("relay"), "--name", name,
            "--service", "ssh=127.0.0.1:22"]
    proc = rig.start(node, argv, f"endpoint {name} ({node})", env=rig.keys.env(role))
    proc.wait_for_line(f"registered as {name} with relay")
    return proc


def wake(rig, *args, role="client", timeout=COMMAND_TIMEOUT):
    return rig.net.run("laptop", BURROW, "wake", "--relay", rig.relay_addr, "--relay-key", rig.keys.pub("relay"),
                       *args, env=rig.keys.env(role), timeout=timeout)


def stop(proc):
    proc.signal(signal.SIGTERM)
    assert proc.wait_exit() == 0, proc.report()


def test_wake_an_offline_endpoint_by_name_through_a_lan_peer(wake_rig, capture):
    rig = wake_rig
    gpu_mac = mac_of(rig.net, "gpubox")
    gpu = start_named(rig, "gpubox", "gpu", "gpu")
    stop(gpu)  # gpu told the relay its LAN while it was online
    start_named(rig, "lanhost", "nas", "lab")

    result = wake(rig, "gpu")
    assert result.returncode == 0, describe(result)
    assert result.stdout.decode().startswith(f"packet for {gpu_mac} sent by nas at "), describe(result)
    [(dst, port, payload)] = capture.packets()
    assert (dst, port, payload) == ("192.168.77.255", 9, magic(gpu_mac))

    # --wait gives up, and says what happened, when gpu does not come.
    result = wake(rig, "gpu", "--wait", "3")
    assert result.returncode == 1, describe(result)
    assert "sent by nas at" in result.stdout.decode() and "gpu did not come online in 3 s" in result.stdout.decode(), \
        describe(result)
    capture.packets()  # its packet

    # ... and returns 0 once gpu's endpoint registers.
    outcome = {}
    waiter = threading.Thread(target=lambda: outcome.update(r=wake(rig, "gpu", "--wait", "60")))
    waiter.start()
    capture.packets()  # its packet went out; now gpu "wakes"
    start_named(rig, "gpubox", "gpu", "gpu")
    waiter.join(COMMAND_TIMEOUT)
    assert outcome["r"].returncode == 0, describe(outcome["r"])
    assert "gpu is online after" in outcome["r"].stdout.decode(), describe(outcome["r"])


def test_waking_needs_a_grant(wake_rig):
    rig = wake_rig
    stop(start_named(rig, "gpubox", "gpu", "gpu"))
    start_named(rig, "lanhost", "nas", "lab")
    result = wake(rig, "gpu", role="stranger")
    assert result.returncode == 1, describe(result)
    assert "may not wake 'gpu' on this relay" in result.stderr.decode(), describe(result)


def test_the_relay_remembers_a_mac_across_a_restart(wake_rig, capture):
    rig = wake_rig
    gpu_mac = mac_of(rig.net, "gpubox")
    stop(start_named(rig, "gpubox", "gpu", "gpu"))
    nas = start_named(rig, "lanhost", "nas", "lab")
    stop(rig.relay.proc)
    rig.start_relay()
    nas.wait_for_lines("registered as nas with relay", n=2, timeout=COMMAND_TIMEOUT)
    result = wake(rig, "gpu")
    assert result.returncode == 0, describe(result)
    [(dst, port, payload)] = capture.packets()
    assert payload == magic(gpu_mac)
