"""What crosses the wire between a peer and the relay (docs/PROTOCOL.md §1.3):
link records, and, between them, the payloads of DATA flagged E2E, which are
end-to-end records already and go unsealed. Client and endpoint reach the
relay through proxies (tests/support/cut_proxy.py) that keep a copy of every
byte they pass and can flip a bit of what goes to the relay."""
import hashlib
import os
import secrets
import time

import pytest

from clients import curl_check, digest_reply, marker_traffic, write_endpoint_config
from conftest import COMMAND_TIMEOUT, describe, start_endpoint, start_forward
from test_resume import CutProxy, through


def shared_windows(a, b, count=40, size=64):
    """How many of `count` windows of `size` bytes, spread over `a`, occur in `b`."""
    return sum(a[at:at + size] in b for at in (len(a) * i // (count + 1) for i in range(1, count + 1)))


@pytest.mark.parametrize("e2e", [True, False], ids=["e2e", "e2e-off"])
def test_no_plaintext_crosses_either_link(procs, keys, relay, burrow, burrow_env, http_server, digest_server,
                                          tmp_path, e2e):
    """A marker fetched over HTTP and one sent up to the digest service never
    show on either link's wire: end-to-end records carry them, unsealed by
    the links, so the same bytes cross both links (the relay passes them
    on as they are); with e2e = false link records seal them, under other
    keys on each link."""
    client_wire, endpoint_wire = tmp_path / "client.wire", tmp_path / "endpoint.wire"
    client_proxy = CutProxy(procs, relay.addr, capture=client_wire)
    endpoint_proxy = CutProxy(procs, relay.addr, capture=endpoint_wire)
    marker, page, body, up = marker_traffic()
    (http_server.root / page).write_bytes(body)
    config = write_endpoint_config(tmp_path / "endpoint.toml", endpoint_proxy.addr, relay.key,
                                   {"web": http_server.addr, "digest": digest_server.addr}, e2e)
    start_endpoint(procs, "-c", config, env=keys.env("lab"))
    via = through(relay, client_proxy)
    try:
        fwd = start_forward(procs, *via.args, specs=["0:lab:web"], env=keys.env("client"))
        curl_check(burrow_env, fwd.port_for("lab/web"), page, hashlib.sha256(body).hexdigest())
    finally:
        (http_server.root / page).unlink()
    result = burrow("connect", *via.args, "lab", "digest", input=up)
    assert result.returncode == 0, describe(result)
    assert result.stdout == digest_reply(up), describe(result)

    seen = {wire: wire.read_bytes() for wire in (client_wire, endpoint_wire)}
    for wire, wire_bytes in seen.items():
        assert len(wire_bytes) >= len(body) + len(up), f"{wire.name} has only {len(wire_bytes)} bytes"
        assert marker not in wire_bytes, f"plaintext on the wire ({wire.name})"
    # Both directions of the client's link (up and down) in the endpoint's.
    shared = shared_windows(seen[client_wire], seen[endpoint_wire])
    if e2e:
        assert shared >= 30, f"only {shared} of 40 samples of the client's link are on the endpoint's"
    else:
        assert shared == 0, f"{shared} of 40 samples of the client's link are on the endpoint's"


def wait_for_size(path, size, proc):
    deadline = time.monotonic() + COMMAND_TIMEOUT
    while not (path.exists() and path.stat().st_size >= size):
        assert proc.alive() and time.monotonic() < deadline, proc.report()
        time.sleep(0.02)


def test_altered_end_to_end_bytes_on_a_link_reset_only_that_stream(procs, keys, relay, http_server, tmp_path):
    """A bit flipped between the endpoint and the relay in the middle of a
    download: it lands in an end-to-end payload, which the link and the relay
    pass on as they are; the client's end-to-end layer refuses the record,
    resets that stream and writes none of its bytes, while the session stays
    up and the next download is whole. (Should the flip land on one of the
    few sealed bytes, a frame header, the link fails instead and the session
    resumes: the download is then whole. Either way nothing altered is
    delivered.)"""
    endpoint_proxy = CutProxy(procs, relay.addr)
    start_endpoint(procs, *through(relay, endpoint_proxy).args, "--name", "lab", "--service", f"web={http_server.addr}",
                   env=keys.env("lab"))
    fwd = start_forward(procs, *relay.args, specs=["0:lab:web"], env=keys.env("client"))
    # Large and slow enough that the endpoint is still sending when the flip comes.
    name = f"big-{secrets.token_hex(4)}.bin"
    blob = os.urandom(64 * 1024 * 1024)
    (http_server.root / name).write_bytes(blob)
    url = f"http://127.0.0.1:{fwd.port_for('lab/web')}/{name}"
    out = tmp_path / "blob.part"
    try:
        curl = procs.start(["curl", "-sS", "--max-time", str(COMMAND_TIMEOUT), "--limit-rate", "16M",
                            "-o", str(out), url], name="curl")
        wait_for_size(out, 1024 * 1024, curl)
        endpoint_proxy.flip_next()
        endpoint_proxy.proc.wait_for_line("flipped a bit")
        code = curl.wait_exit()
    finally:
        (http_server.root / name).unlink()
    received = out.read_bytes()
    if code == 0:
        assert received == blob, "a whole download with other bytes"
        relay.proc.wait_for_line(contains="transport lost (link: ", stream="stderr")
    else:
        assert len(received) < len(blob) and blob.startswith(received), \
            f"{len(received)} bytes that are not a prefix of the {len(blob)}"
        fwd.proc.wait_for_line(contains="end-to-end", stream="stderr")
        assert not [l for l in relay.proc.lines["stderr"] if "transport lost" in l], \
            "the link failed: the flip was not in an end-to-end payload"
    small = (http_server.root / "small.txt").read_bytes()
    url = f"http://127.0.0.1:{fwd.port_for('lab/web')}/small.txt"
    again = tmp_path / "small.again"
    curl_again = procs.start(["curl", "-sS", "--max-time", str(COMMAND_TIMEOUT), "-o", str(again), url], name="curl")
    assert curl_again.wait_exit() == 0, curl_again.report()
    assert again.read_bytes() == small
