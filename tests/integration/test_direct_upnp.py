"""The direct path through a real router: the endpoint on the GPU box asks
the lab router's miniupnpd (UPnP IGD, or NAT-PMP where the router speaks
only that) for a port mapping to its direct listener, the relay passes the mapped address to clients, and the laptop's
ssh and scp go straight to the GPU box through the router's public address
(tests/integration/netns.py, tests/support/testnet.sh). Without a router
that maps, or behind a carrier-grade NAT, everything goes through the relay,
and the endpoint says why once. A direct path that breaks mid-use hands new
connections to the relay, and the ssh session on it ends with a reason.
No timing is asserted."""
import re
import subprocess
import types

import pytest

from conftest import COMMAND_TIMEOUT, describe, sha256_file
pytest_plugins = ["netns"]  # the mknet and rig fixtures (tests/integration/netns.py)

TRANSFER_TIMEOUT = 180
DIRECT = r"lab: direct path to (\S+) "


def upnp_list(rig):
    return rig.net.run("lanhost", "upnpc", "-u", rig.net.env["UPNP_DESC_URL"], "-l").stdout.decode()


@pytest.fixture
def upnp_lab(rig, sshd):
    """miniupnpd on the lab router; relay on the VPS; sshd and endpoint `lab`
    with `--upnp` on the GPU box."""
    rig.net.fault("upnp", "start")
    relay = rig.start_relay()
    gpu_sshd = rig.sshd(sshd)
    endpoint = rig.start_endpoint({"ssh": gpu_sshd.addr}, args=["--upnp"])
    return types.SimpleNamespace(relay=relay, sshd=gpu_sshd, endpoint=endpoint)


def mapped(lab, rig):
    """The public address the endpoint reports, once the router mapped it."""
    _, line = lab.endpoint.wait_match(r"direct path: the router \S+ maps (\S+) to", timeout=COMMAND_TIMEOUT)
    address = re.search(r"maps (\S+) to", line).group(1)
    assert address.startswith(rig.net.env["PUBLIC_IP"] + ":"), line
    return address


def test_ssh_and_scp_go_direct_through_the_routers_mapping(rig, upnp_lab, big_file, tmp_path):
    public = mapped(upnp_lab, rig)
    port = public.rsplit(":", 1)[1]
    listing = upnp_list(rig)
    assert f"{port}->{rig.net.ip('gpubox')}:7444" in listing, listing
    rig.relay.proc.wait_match(rf"endpoint 'lab': direct candidates {re.escape(public)}")
    ls = rig.burrow("ls", "-l", "--relay", rig.relay_addr, "--relay-key", rig.keys.pub("relay"))
    assert ls.returncode == 0 and f"direct {public}" in ls.stdout.decode(), describe(ls)

    fwd = rig.forward("0:lab:ssh")
    _, line = fwd.proc.wait_match(DIRECT, timeout=COMMAND_TIMEOUT)
    assert f"direct path to {public} " in line, line
    ssh_port = fwd.port_for("lab/ssh")
    path, digest = big_file
    written = tmp_path / "copy.bin"
    scp = rig.start("laptop", upnp_lab.sshd.scp_argv(f"127.0.0.1:{path}", written, port=ssh_port),
                    "scp (laptop)", env=rig.keys.env("client"))
    assert scp.wait_exit(TRANSFER_TIMEOUT) == 0, scp.report()
    assert sha256_file(written) == digest
    # The endpoint took the session on its direct listener, from the laptop's address.
    upnp_lab.endpoint.wait_match(rf"direct session from {re.escape(rig.net.ip('laptop'))} ")
    status = rig.burrow("status")
    assert f"direct {public}" in status.stdout.decode(), describe(status)

    # A clean exit removes the mapping.
    upnp_lab.endpoint.signal(2)
    assert upnp_lab.endpoint.wait_exit(COMMAND_TIMEOUT) == 0, upnp_lab.endpoint.report()
    upnp_lab.endpoint.wait_match(rf"direct path: removed the mapping {re.escape(public)}")
    listing = upnp_list(rig)
    assert f"{port}->" not in listing, listing


def router_dnat_rules(rig):
    """miniupnpd's port forwards, as nftables holds them on the router."""
    return rig.net.run("router", "nft", "list", "chain", "inet", "mknet_router",
                       "prerouting_miniupnpd").stdout.decode()


def test_a_router_that_speaks_only_nat_pmp_maps_the_direct_port(rig, sshd):
    rig.net.fault("upnp", "start", "natpmp")
    rig.start_relay()
    gpu_sshd = rig.sshd(sshd)
    endpoint = rig.start_endpoint({"ssh": gpu_sshd.addr}, args=["--upnp"])
    _, line = endpoint.wait_match(r"direct path: the router \S+ maps (\S+) to", timeout=COMMAND_TIMEOUT)
    assert "(NAT-PMP, lease " in line, line
    public = re.search(r"maps (\S+) to", line).group(1)
    assert public.startswith(rig.net.env["PUBLIC_IP"] + ":"), line
    port = public.rsplit(":", 1)[1]
    rules = router_dnat_rules(rig)
    assert f"dport {port} dnat ip to {rig.net.ip('gpubox')}:7444" in rules, rules

    fwd = rig.forward("0:lab:ssh")
    _, line = fwd.proc.wait_match(DIRECT, timeout=COMMAND_TIMEOUT)
    assert f"direct path to {public} " in line, line
    done = rig.net.run("laptop", *gpu_sshd.ssh_argv("echo", "over-nat-pmp", port=fwd.port_for("lab/ssh")),
                       env=rig.keys.env("client"))
    assert done.returncode == 0 and done.stdout == b"over-nat-pmp\n", describe(done)
    endpoint.wait_match(rf"direct session from {re.escape(rig.net.ip('laptop'))} ")

    endpoint.signal(2)
    assert endpoint.wait_exit(COMMAND_TIMEOUT) == 0, endpoint.report()
    endpoint.wait_match(rf"direct path: removed the mapping {re.escape(public)}")
    rules = router_dnat_rules(rig)
    assert f"dport {port} " not in rules, rules


def test_without_a_upnp_router_the_relay_carries_everything(rig, sshd):
    relay = rig.start_relay()
    gpu_sshd = rig.sshd(sshd)
    endpoint = rig.start_endpoint({"ssh": gpu_sshd.addr}, args=["--upnp"])
    endpoint.wait_match(r"direct path: no UPnP router answered on the LAN .*, and the gateway \S+ "
                        r"(did not answer NAT-PMP|does not speak NAT-PMP).*through the relay")
    done = rig.net.run("laptop", *gpu_sshd.ssh_argv("echo", "over-the-relay", relay=relay),
                       env=rig.keys.env("client"))
    assert done.returncode == 0 and done.stdout == b"over-the-relay\n", describe(done)
    assert "direct path" not in done.stderr.decode(), describe(done)
    assert len(endpoint.find(r"direct path: no UPnP router")) == 1, endpoint.report()


@pytest.mark.parametrize("mknet", ["cgnat"], indirect=True)
def test_behind_a_carrier_grade_nat_the_endpoint_says_why_and_stays_on_the_relay(mknet, rig, sshd):
    rig.net.fault("upnp", "start")
    relay = rig.start_relay()
    gpu_sshd = rig.sshd(sshd)
    endpoint = rig.start_endpoint({"ssh": gpu_sshd.addr}, args=["--upnp"])
    _, line = endpoint.wait_match(r"direct path: ")
    # miniupnpd hides a private WAN address (it says "not connected"); either way the reason names it.
    assert "carrier-grade NAT" in line and "through the relay" in line, endpoint.report()
    done = rig.net.run("laptop", *gpu_sshd.ssh_argv("echo", "over-the-relay", relay=relay),
                       env=rig.keys.env("client"))
    assert done.returncode == 0 and done.stdout == b"over-the-relay\n", describe(done)
    assert f"{rig.net.env['PUBLIC_IP']}:" not in upnp_list(rig)


def test_a_broken_direct_path_hands_new_connections_to_the_relay(rig, upnp_lab):
    public = mapped(upnp_lab, rig)
    fwd = rig.forward("0:lab:ssh")
    fwd.proc.wait_match(DIRECT, timeout=COMMAND_TIMEOUT)
    ssh_port = fwd.port_for("lab/ssh")
    shell = rig.start("laptop", upnp_lab.sshd.ssh_argv("cat", port=ssh_port), "ssh cat (laptop)",
                      env=rig.keys.env("client"), stdin=subprocess.PIPE)
    shell.p.stdin.write(b"typed over the direct path\n")
    shell.p.stdin.flush()
    assert shell.wait_for_line("typed over the direct path") == "typed over the direct path"

    mark = fwd.proc.count("stderr")
    rig.net.fault("partition", "laptop", rig.net.env["PUBLIC_IP"])  # the relay stays reachable
    fwd.proc.wait_match(rf"lab: direct path to {re.escape(public)} closed \(.*\): new connections go through the relay",
                        start=mark, timeout=COMMAND_TIMEOUT)
    # The ssh session on the broken path ends (its connection is reset), it does not hang.
    assert shell.wait_exit(COMMAND_TIMEOUT) != 0, shell.report()
    # A new connection goes through the relay.
    done = rig.net.run("laptop", *upnp_lab.sshd.ssh_argv("echo", "after-the-break", port=ssh_port),
                       env=rig.keys.env("client"))
    assert done.returncode == 0 and done.stdout == b"after-the-break\n", describe(done)
    status = rig.burrow("status")
    assert f"direct {public}" not in status.stdout.decode() and " relay " in status.stdout.decode(), describe(status)
