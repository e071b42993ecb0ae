"""End-to-end encryption between client and endpoint, seen from the relay.

The relay here is build/burrow_tap_relay (BURROW_TAP_BIN): burrow with a tap
in the relay's splices that logs every byte the relay carries
(BURROW_TAP_LOG) and can alter the client -> endpoint bytes of one target
(BURROW_TAP_TARGET): flip one bit (BURROW_TAP_FLIP=N), send the chunk that
holds byte N twice (BURROW_TAP_REPLAY=N), or drop every byte from N on while
still passing the FIN (BURROW_TAP_CUT=N). N counts the client -> endpoint
bytes of the matching streams since the relay started. On the wire those
bytes are the 38-byte msg1 and the 32-byte msg3 of the end-to-end handshake,
then the records (crypto/e2e_handshake.hpp), so N >= 70 hits record bytes.
"""
import hashlib
import http.client
import os
import secrets
import subprocess

import pytest

from clients import curl_check, digest_reply, marker_traffic, write_endpoint_config
from conftest import (BURROW, COMMAND_TIMEOUT, TAP_BURROW, describe, error_lines,
                      start_endpoint)

HANDSHAKE_UP = 38 + 32  # client -> endpoint handshake bytes before the first record


@pytest.fixture
def tap_relay(make_relay, tmp_path):
    """tap_relay(target=None, flip=None, replay=None) -> Relay with .tap_log."""
    assert os.access(TAP_BURROW, os.X_OK), \
        f"no tap relay binary at {TAP_BURROW} (build target burrow_tap_relay, or set BURROW_TAP_BIN)"

    def start(target=None, flip=None, replay=None, cut=None, **kw):
        log = tmp_path / "tap.log"
        env = {"BURROW_TAP_LOG": str(log)}
        if target is not None:
            env["BURROW_TAP_TARGET"] = target
        if flip is not None:
            env["BURROW_TAP_FLIP"] = str(flip)
        if replay is not None:
            env["BURROW_TAP_REPLAY"] = str(replay)
        if cut is not None:
            env["BURROW_TAP_CUT"] = str(cut)
        relay = make_relay(binary=TAP_BURROW, env=env, **kw)
        relay.tap_log = log
        return relay
    return start


def http_get(conn, path):
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


@pytest.mark.parametrize("e2e", [True, False], ids=["e2e", "e2e-off"])
def test_relay_carries_only_ciphertext(tap_relay, procs, keys, forward, burrow, burrow_env,
                                       http_server, digest_server, tmp_path, e2e):
    """A marker fetched over HTTP and one sent up to the digest service never
    show in the relay's bytes; with the services set `e2e = false` they do
    (which shows the tap log sees the streams)."""
    relay = tap_relay()
    marker, page, body, up = marker_traffic()
    (http_server.root / page).write_bytes(body)
    config = write_endpoint_config(tmp_path / "endpoint.toml", relay.addr, relay.key,
                                   {"web": http_server.addr, "digest": digest_server.addr}, e2e)
    start_endpoint(procs, "-c", config, env=keys.env("lab"))

    try:
        fwd = forward("0:lab:web", relay=relay)
        curl_check(burrow_env, fwd.port_for("lab/web"), page, hashlib.sha256(body).hexdigest())
    finally:
        (http_server.root / page).unlink()
    result = burrow("connect", *relay.args, "lab", "digest", input=up)
    assert result.returncode == 0, describe(result)
    assert result.stdout == digest_reply(up), describe(result)

    seen = relay.tap_log.read_bytes()
    assert len(seen) >= len(body) + len(up), f"tap log has only {len(seen)} bytes"
    if e2e:
        assert marker not in seen, "the relay saw plaintext of an end-to-end stream"
    else:
        assert b"0 down " + marker in seen and marker + b" up 0\n" in seen, \
            "the tap log lacks the plaintext of an e2e = false stream"


def open_bystanders(relay, forward, procs, sshd, small):
    """Streams of the same sessions opened before the alteration: an
    interactive ssh session and a keep-alive HTTP connection."""
    fwd = forward("0:lab:web", relay=relay)
    web = http.client.HTTPConnection("127.0.0.1", fwd.port_for("lab/web"), timeout=COMMAND_TIMEOUT)
    assert http_get(web, "/small.txt") == (200, small)
    shell = procs.start(sshd.ssh_argv('while read line; do echo "got $line"; done', relay=relay),
                        stdin=subprocess.PIPE, name="ssh session")
    shell.stdin.write(b"one\n")
    shell.stdin.flush()
    shell.wait_for_line("got one", timeout=COMMAND_TIMEOUT)

    def still_work(word):
        shell.stdin.write(f"{word}\n".encode())
        shell.stdin.flush()
        shell.wait_for_line(f"got {word}", timeout=COMMAND_TIMEOUT)
        assert http_get(web, "/small.txt") == (200, small)

    def close():
        web.close()
        shell.stdin.close()
        assert shell.wait_exit() == 0, shell.report()
    return fwd, still_work, close


def assert_altered_stream_rejected(result, endpoint_proc, recorder, data):
    # The client's stream ends in an error, without the service's reply.
    assert result.returncode == 1, describe(result)
    assert result.stdout == b"", describe(result)
    assert any("reset" in l or "end-to-end" in l for l in error_lines(result)), describe(result)
    # The endpoint found the records did not authenticate, and says so at the
    # default log level once the stream is over.
    ended = endpoint_proc.wait_for_line(contains="stream lab/rec reset: end-to-end", stream="stderr")
    # ...and let none of the altered bytes through. It dials the service once
    # the client proved its key, and the altered bytes may end the stream
    # before that (nothing reached the service) or after: then the service
    # got at most an unaltered prefix of what the client sent, on a
    # connection that is reset, not ended as if the upload were whole. (It
    # logs the dial, at debug level, before the stream's end.)
    before = endpoint_proc.lines["stderr"][:endpoint_proc.lines["stderr"].index(ended)]
    if not [l for l in before if "stream lab/rec: connected to " in l]:
        assert recorder.accepts == 0, f"{recorder.accepts} connections reached the service, none dialed"
        return
    how = recorder.ending(0)  # the service may take the connection after the endpoint's line: wait
    received = recorder.data()
    assert len(received) == 1, f"{len(received)} connections reached the service"
    assert len(received[0]) < len(data) and data.startswith(received[0]), \
        f"the service got {len(received[0])} bytes that are not a prefix of the {len(data)} sent"
    assert how == "reset", f"the service's connection ended with {how}"


def tampered_setup(tap_relay, endpoint, forward, procs, sshd, http_server, recorder, **tap):
    """A tap relay altering lab/rec as `tap` says, an endpoint with rec, web and
    ssh, and bystander streams: (relay, endpoint_proc, fwd, still_work, close)."""
    relay = tap_relay(target="lab/rec", **tap)
    endpoint_proc = endpoint({"rec": recorder.addr, "web": http_server.addr, "ssh": sshd.addr},
                             relay=relay, args=["--log-level", "debug"])  # it logs its dials
    small = (http_server.root / "small.txt").read_bytes()
    fwd, still_work, close = open_bystanders(relay, forward, procs, sshd, small)
    return relay, endpoint_proc, fwd, still_work, close


def assert_new_stream_works(burrow, relay, recorder):
    again = os.urandom(64 * 1024)
    result = burrow("connect", *relay.args, "lab", "rec", input=again)
    assert result.returncode == 0 and result.stdout == digest_reply(again), describe(result)
    assert recorder.data()[-1] == again


def test_flipped_bit_resets_only_that_stream(tap_relay, endpoint, forward, procs, burrow,
                                             sshd, http_server, recorder):
    relay, endpoint_proc, fwd, still_work, close = tampered_setup(
        tap_relay, endpoint, forward, procs, sshd, http_server, recorder, flip=HANDSHAKE_UP + 1000)

    data = os.urandom(64 * 1024)
    result = burrow("connect", *relay.args, "lab", "rec", input=data)
    assert_altered_stream_rejected(result, endpoint_proc, recorder, data)

    # The other streams of both sessions go on; a new stream to the same
    # service works (the flip is spent).
    still_work("two")
    assert_new_stream_works(burrow, relay, recorder)
    still_work("three")
    close()
    assert endpoint_proc.alive() and fwd.proc.alive() and relay.proc.alive()


def test_replayed_chunk_is_rejected(tap_relay, endpoint, forward, procs, burrow,
                                    sshd, http_server, recorder):
    relay, endpoint_proc, fwd, still_work, close = tampered_setup(
        tap_relay, endpoint, forward, procs, sshd, http_server, recorder, replay=HANDSHAKE_UP + 300_000)

    data = os.urandom(1024 * 1024)
    result = burrow("connect", *relay.args, "lab", "rec", input=data)
    assert_altered_stream_rejected(result, endpoint_proc, recorder, data)

    still_work("two")
    assert_new_stream_works(burrow, relay, recorder)
    close()
    assert endpoint_proc.alive() and fwd.proc.alive() and relay.proc.alive()


def test_stream_cut_short_is_not_taken_for_its_end(tap_relay, endpoint, forward, procs, burrow,
                                                  sshd, http_server, recorder):
    # The relay drops the tail of an upload (whole records included) and
    # passes the FIN: without the end-of-stream record the endpoint must not
    # take that for the end the client meant.
    cut = HANDSHAKE_UP + 3 * (16384 + 18)  # three whole records, then nothing
    relay, endpoint_proc, fwd, still_work, close = tampered_setup(
        tap_relay, endpoint, forward, procs, sshd, http_server, recorder, cut=cut)

    data = os.urandom(256 * 1024)
    result = burrow("connect", *relay.args, "lab", "rec", input=data)
    assert_altered_stream_rejected(result, endpoint_proc, recorder, data)
    endpoint_proc.wait_for_line(contains="cut short", stream="stderr")

    still_work("two")
    close()
    assert endpoint_proc.alive() and fwd.proc.alive() and relay.proc.alive()


def test_the_service_is_dialed_only_once_the_client_proved_its_key(tap_relay, endpoint, burrow, recorder):
    """A msg3 that does not verify (what a relay naming a key it does not
    hold would have to send) ends the stream before the endpoint dials the
    service: the service never sees a connection."""
    relay = tap_relay(target="lab/rec", flip=38 + 5)  # a bit of msg3's tag
    endpoint_proc = endpoint({"rec": recorder.addr}, relay=relay)
    result = burrow("connect", *relay.args, "lab", "rec", input=b"never delivered")
    assert result.returncode == 1 and result.stdout == b"", describe(result)
    endpoint_proc.wait_for_line(contains="end-to-end", stream="stderr", timeout=COMMAND_TIMEOUT)
    assert recorder.accepts == 0
    assert_new_stream_works(burrow, relay, recorder)


def test_a_handshake_that_never_finishes_is_reset_and_reaches_no_service(tap_relay, endpoint, procs, recorder):
    """The relay swallows the client's msg1: the endpoint waits 10 s for the
    handshake, then resets the stream; it never dials the service."""
    relay = tap_relay(target="lab/rec", cut=0)
    endpoint_proc = endpoint({"rec": recorder.addr}, relay=relay)
    client = procs.start([BURROW, "connect", *relay.args, "lab", "rec"], stdin=subprocess.PIPE,
                         name="connect lab rec")
    endpoint_proc.wait_for_line(contains="did not finish the end-to-end handshake within 10 s", stream="stderr",
                                timeout=COMMAND_TIMEOUT)
    assert client.wait_exit(COMMAND_TIMEOUT) == 1, client.report()
    assert any("handshake" in line for line in client.lines["stderr"]), client.report()
    assert recorder.accepts == 0


@pytest.mark.parametrize("flag", ["digest={addr},e2e=off", "digest={addr},e2e=on"], ids=["off", "on"])
def test_service_flag_sets_e2e(tap_relay, procs, keys, burrow, digest_server, flag):
    """`--service NAME=HOST:PORT,e2e=off` on the command line does what
    `e2e = false` does in the config file."""
    relay = tap_relay()
    marker = f"burrow-marker-{secrets.token_hex(20)}".encode()
    start_endpoint(procs, *relay.args, "--name", "lab", "--service", flag.format(addr=digest_server.addr),
                   env=keys.env("lab"))
    up = b"".join(marker + b" up %d\n" % i for i in range(500))
    result = burrow("connect", *relay.args, "lab/digest", input=up)
    assert result.returncode == 0 and result.stdout == digest_reply(up), describe(result)
    seen = relay.tap_log.read_bytes()
    assert (marker in seen) == flag.endswith("e2e=off"), f"marker in the relay's bytes: {marker in seen}"
