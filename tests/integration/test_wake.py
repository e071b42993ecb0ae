"""`burrow wake MAC`: the magic packet on the wire is exactly what
`wakeonlan` and `etherwake` send, and bad input is refused with the form
that is expected."""
import socket

import pytest

from conftest import describe, error_lines

MAC = "00:1a:2b:3c:4d:5e"
MAC_BYTES = bytes([0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e])


@pytest.fixture
def receiver():
    """A UDP socket on 127.0.0.1 that takes the packet."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(10)
        yield s


@pytest.mark.parametrize("written,password", [
    (None, b""),
    ("01:02:03:04:05:fe", bytes([1, 2, 3, 4, 5, 0xfe])),
    ("192.168.0.255", bytes([192, 168, 0, 255])),
], ids=["plain", "secureon-6", "secureon-4"])
def test_magic_packet_bytes(burrow, receiver, written, password):
    port = receiver.getsockname()[1]
    args = ["wake", MAC.upper().replace(":", "-"), "--broadcast", "127.0.0.1", "--port", str(port)]
    if written is not None:
        args += ["--password", written]
    result = burrow(*args)
    assert result.returncode == 0, describe(result)
    packet, _ = receiver.recvfrom(2048)
    assert packet == b"\xff" * 6 + MAC_BYTES * 16 + password
    assert len(packet) == {0: 102, 6: 108, 4: 106}[len(password)]
    assert result.stdout.decode() == (f"sent a magic packet for {MAC} to 127.0.0.1:{port}"
                                      f"{' with a SecureOn password' if password else ''}\n")


@pytest.mark.parametrize("mac", ["00:1a:2b:3c:4d:5g:", "00:1a-2b:3c:4d:5e!", "aa bb"])
def test_bad_mac_is_refused_with_the_expected_form(burrow, mac):
    result = burrow("wake", mac, "--broadcast", "127.0.0.1")
    assert result.returncode == 2, describe(result)
    assert error_lines(result) == [f"burrow: '{mac.lower()}' is not a mac address: expected aa:bb:cc:dd:ee:ff "
                                   "(or aa-bb-cc-dd-ee-ff, aabbccddeeff), or an endpoint's name"], describe(result)


@pytest.mark.parametrize("password", ["1.2.3", "1.2.3.256", "01:02:03", "secret"])
def test_bad_password_is_refused_with_the_expected_form(burrow, password):
    result = burrow("wake", MAC, "--broadcast", "127.0.0.1", "--password", password)
    assert result.returncode == 2, describe(result)
    assert error_lines(result) == [
        f"burrow: --password '{password}' is not a secureon password: expected six bytes like a mac "
        "(aa:bb:cc:dd:ee:ff) or four as 192.168.1.1"], describe(result)


def test_bad_broadcast_address_is_named(burrow):
    result = burrow("wake", MAC, "--broadcast", "lab-router")
    assert result.returncode == 1, describe(result)
    assert error_lines(result) == ["burrow: 'lab-router' is not an ipv4 address"], describe(result)
