"""The namespace network the fault tests run in (tests/support/testnet.sh):
it comes from the repository, and it does what the tests rely on — the lab
behind a NAT, nothing routed out of the machine, partitions that heal, a
router that takes UPnP and NAT-PMP mappings (none worth anything behind a
carrier NAT), and a capture of Wake-on-LAN packets on the GPU box's port."""
import os
import socket
import subprocess
import threading

import pytest

from conftest import SUPPORT, describe
pytest_plugins = ["netns"]  # the testnet fixture (tests/integration/netns.py)


def listener(net, node, host, port):
    s = net.socket(node)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(8)
    s.settimeout(10)
    return s


def reaches(net, node, host, port, timeout=2):
    try:
        net.connect(node, port, host=host, timeout=timeout).close()
        return True
    except OSError:
        return False


def lab_as_seen_by_the_vps(net, port=7001):
    """The source address of a connection from the GPU box to the VPS."""
    with listener(net, "vps", net.ip("vps"), port) as srv:
        net.connect("gpubox", port, host=net.ip("vps")).close()
        conn, (seen_from, _) = srv.accept()
        conn.close()
    return seen_from


def test_the_builder_is_part_of_the_repository():
    from netns import MKNET_SH
    builder = SUPPORT / "testnet.sh"
    assert os.access(builder, os.X_OK), f"{builder} missing or not executable"
    if "MKNET_SH" not in os.environ:
        assert MKNET_SH == str(builder)


def test_the_lab_is_behind_nat_and_nothing_leaves_the_machine(testnet):
    assert lab_as_seen_by_the_vps(testnet) == testnet.env["PUBLIC_IP"]

    assert not reaches(testnet, "laptop", testnet.ip("gpubox"), 22, timeout=1)
    ping = testnet.run("lanhost", "ping", "-c1", "-W2", testnet.ip("gpubox"))
    assert ping.returncode == 0, describe(ping)
    for node in ("router", "vps", "laptop"):  # asks the routing table, sends nothing
        route = testnet.run(node, "ip", "route", "get", "192.0.2.1")
        assert route.returncode != 0, f"{node} has a route out: {route.stdout!r}"


def test_a_partition_drops_silently_and_heals(testnet):
    with listener(testnet, "vps", testnet.ip("vps"), 7002):
        assert reaches(testnet, "laptop", testnet.ip("vps"), 7002)
        testnet.fault("partition", "laptop")
        with pytest.raises(socket.timeout):  # no RST, no ICMP: the SYN goes nowhere
            testnet.connect("laptop", 7002, host=testnet.ip("vps"), timeout=1)
        testnet.fault("heal", "laptop")
        assert reaches(testnet, "laptop", testnet.ip("vps"), 7002)


def upnpc(net, *args):
    return net.run("gpubox", "upnpc", "-u", net.env["UPNP_DESC_URL"], *args)


def test_the_router_maps_ports_by_upnp_and_natpmp(testnet):
    testnet.fault("upnp", "start")
    public, gpubox = testnet.env["PUBLIC_IP"], testnet.ip("gpubox")
    with listener(testnet, "gpubox", "0.0.0.0", 2222) as srv:
        srv.settimeout(None)
        threading.Thread(target=lambda: [srv.accept()[0].close() for _ in range(2)], daemon=True).start()
        assert not reaches(testnet, "laptop", public, 40022, timeout=1)

        added = upnpc(testnet, "-e", "burrow-test", "-a", gpubox, "2222", "40022", "TCP", "600")
        assert f"is redirected to internal {gpubox}:2222" in added.stdout.decode(), describe(added)
        assert reaches(testnet, "laptop", public, 40022)
        status = upnpc(testnet, "-s")
        assert f"ExternalIPAddress = {public}" in status.stdout.decode(), describe(status)

        mapped = testnet.run("gpubox", "natpmpc", "-g", testnet.env["NATPMP_GATEWAY"],
                             "-a", "40023", "2222", "tcp", "600")
        assert "Mapped public port 40023" in mapped.stdout.decode(), describe(mapped)
        assert reaches(testnet, "laptop", public, 40023)

    testnet.fault("upnp", "wipe")
    assert "40022->" not in upnpc(testnet, "-l").stdout.decode()


@pytest.mark.parametrize("testnet", ["cgnat"], indirect=True)
def test_behind_a_carrier_nat_upnp_maps_nothing(testnet):
    assert lab_as_seen_by_the_vps(testnet) == testnet.env["PUBLIC_IP"]
    assert testnet.env["ROUTER_WAN_IP"] != testnet.env["PUBLIC_IP"]

    testnet.fault("upnp", "start")
    added = upnpc(testnet, "-e", "burrow-test", "-a", testnet.ip("gpubox"), "2222", "40022", "TCP", "600")
    assert "is redirected" not in added.stdout.decode(), describe(added)


def test_wolcap_sees_a_magic_packet_on_the_gpu_box_port(testnet):
    mac = testnet.env["GPUBOX_MAC"]
    magic = bytes.fromhex("ff" * 6 + mac.replace(":", "") * 16)
    capture = subprocess.Popen(["bash", testnet.script, "wolcap", "10", "1"], stdout=subprocess.PIPE,
                               env=dict(os.environ, MKNET_PREFIX=testnet.prefix))
    with testnet.socket("lanhost", type=socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        while capture.poll() is None:  # until the capture has seen one
            s.sendto(magic, (testnet.env["LAN_BROADCAST"], 9))
            try:
                capture.wait(0.2)
            except subprocess.TimeoutExpired:
                pass
    out = capture.stdout.read().decode()
    assert capture.returncode == 0, out
    assert out.splitlines()[0] == f"udp {testnet.env['LAN_BROADCAST']}:9 {magic.hex()}"
