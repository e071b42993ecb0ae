"""Who may use the relay, and what each refusal looks like.

The relay admits only the keys its config lists and lets a client open only
the targets granted to it; endpoints and clients pin the relay's key and
clients pin endpoint keys. Every refusal must name its reason to the user and
let nothing through to the service: the service here is a Recorder, which
records every connection and byte that reaches it. Each test also makes one
granted exchange through the same Recorder, so the witness is shown to work.
"""
import http.client
import subprocess

import pytest

from clients import digest_reply
from conftest import (BURROW, COMMAND_TIMEOUT, TAP_BURROW, Recorder, describe, error_lines,
                      expect_closed_without_data, start_endpoint)


def refused(result, reason):
    """The command failed with exit 1 and one `burrow: ` line naming `reason`."""
    assert result.returncode == 1, describe(result)
    assert any(reason.lower() in l for l in error_lines(result)), describe(result)
    assert result.stdout == b"", describe(result)


def granted_exchange(burrow, relay, recorder, data=b"granted", env=None, target="rec"):
    """A granted connect to lab/<target> reaches the recorder with `data`."""
    before = recorder.accepts
    result = burrow("connect", *relay.args, "lab", target, input=data, env=env)
    assert result.returncode == 0, describe(result)
    assert result.stdout == digest_reply(data), describe(result)
    assert recorder.accepts == before + 1 and recorder.data()[-1] == data


# ---------------------------------------------------------------- client keys

@pytest.mark.parametrize("command", [["connect", "lab", "rec"], ["ls"]], ids=["connect", "ls"])
def test_unknown_client_key_is_refused(relay, endpoint, burrow, keys, recorder, command):
    endpoint({"rec": recorder.addr})
    result = burrow(command[0], *relay.args, *command[1:], input=b"secret\n",
                    env=keys.env("stranger"))
    refused(result, "not allowed on this relay")
    assert recorder.accepts == 0
    granted_exchange(burrow, relay, recorder)


def test_unknown_client_key_cannot_forward(relay, endpoint, forward, recorder):
    endpoint({"rec": recorder.addr})
    fwd = forward("0:lab:rec", role="stranger", connected=False)
    fwd.proc.wait_for_line(contains=" error session to relay", stream="stderr", timeout=COMMAND_TIMEOUT)
    assert [l for l in fwd.proc.lines["stderr"] if " error " in l and "is not allowed on this relay" in l], \
        fwd.proc.report()
    for attempt in (1, 2):  # refused at once: the reason is the refusal, not the 10 s wait for a session
        expect_closed_without_data(fwd.port_for("lab/rec"))
        lines = fwd.proc.wait_for_lines(contains="lab/rec (from 127.0.0.1:", n=attempt, stream="stderr")
        assert lines[-1].endswith("connection reset: the relay refuses this client, or its key is refused "
                                  "(see the error above)"), lines[-1]
    assert recorder.accepts == 0


def test_target_not_granted(make_relay, endpoint, forward, burrow, recorder, http_server):
    relay = make_relay(clients={"client": ["lab/w*"]})
    endpoint({"ssh": recorder.addr, "web": http_server.addr}, relay=relay)

    result = burrow("connect", *relay.args, "lab", "ssh", input=b"SSH-2.0-probe\r\n")
    refused(result, "is not allowed to open 'lab/ssh'")

    fwd = forward("0:lab:ssh", "0:lab:web", relay=relay)
    expect_closed_without_data(fwd.port_for("lab/ssh"))
    fwd.proc.wait_for_line(contains="is not granted 'lab/ssh' on this relay", stream="stderr",
                           timeout=COMMAND_TIMEOUT)
    assert fwd.proc.alive(), fwd.proc.report()

    listing = burrow("ls", *relay.args)
    assert listing.returncode == 0, describe(listing)
    assert listing.stdout.decode().split() == ["lab", "web"], describe(listing)

    # The granted service works through the same forward; the other one was
    # never even dialled by the endpoint.
    web = http.client.HTTPConnection("127.0.0.1", fwd.port_for("lab/web"), timeout=COMMAND_TIMEOUT)
    web.request("GET", "/small.txt")
    response = web.getresponse()
    assert (response.status, response.read()) == (200, (http_server.root / "small.txt").read_bytes())
    web.close()
    assert recorder.accepts == 0


# ---------------------------------------------------------------- endpoint keys

def test_endpoint_key_not_in_config_keeps_retrying(relay, endpoint, burrow, recorder):
    stranger = endpoint({"rec": recorder.addr}, role="stranger", wait=False)
    # Refused, and tried again (the endpoint never gives up on its own).
    stranger.wait_for_lines(contains="not allowed on this relay", n=2, stream="stderr",
                            timeout=COMMAND_TIMEOUT)
    assert stranger.alive(), stranger.report()
    assert not any(l.startswith("registered as") for l in stranger.lines["stdout"])
    result = burrow("connect", *relay.args, "lab", "rec", input=b"hello\n")
    refused(result, "no endpoint named 'lab'")
    listing = burrow("ls", *relay.args)
    assert listing.returncode == 0 and listing.stdout == b"", describe(listing)
    assert recorder.accepts == 0


def test_endpoint_may_not_take_another_keys_name(relay, endpoint, burrow, recorder, digest_server):
    endpoint({"rec": digest_server.addr}, name="lab")
    # The gpu key is granted the name `gpu` only.
    impostor = endpoint({"rec": recorder.addr}, name="lab", role="gpu", wait=False)
    impostor.wait_for_line(contains="may not register as 'lab'", stream="stderr",
                           timeout=COMMAND_TIMEOUT)
    relay.proc.wait_for_line(contains="may not register as 'lab'", stream="stderr")
    assert impostor.alive(), impostor.report()
    # lab is still the real endpoint.
    result = burrow("connect", *relay.args, "lab", "rec", input=b"abc")
    assert result.returncode == 0, describe(result)
    assert result.stdout == digest_reply(b"abc"), describe(result)
    assert recorder.accepts == 0


# ---------------------------------------------------------------- relay key pinning

@pytest.mark.parametrize("command", [["connect", "lab", "rec"], ["ls"]], ids=["connect", "ls"])
def test_client_refuses_wrong_pinned_relay_key(relay, endpoint, burrow, keys, recorder, command):
    endpoint({"rec": recorder.addr})
    result = burrow(command[0], "--relay", relay.addr, "--relay-key", keys.pub("gpu"),
                    *command[1:], input=b"secret\n")
    refused(result, "but --relay-key says")
    assert recorder.accepts == 0
    granted_exchange(burrow, relay, recorder)


def test_endpoint_refuses_wrong_pinned_relay_key(relay, procs, burrow, keys, recorder):
    proc = start_endpoint(procs, "--relay", relay.addr, "--relay-key", keys.pub("gpu"),
                          "--name", "lab", "--service", f"rec={recorder.addr}",
                          env=keys.env("lab"), wait=False)
    proc.wait_for_line(contains="but --relay-key says", stream="stderr", timeout=COMMAND_TIMEOUT)
    assert proc.alive() and proc.lines["stdout"] == [], proc.report()
    result = burrow("connect", *relay.args, "lab", "rec", input=b"hello\n")
    refused(result, "no endpoint named 'lab'")
    assert recorder.accepts == 0


def test_relay_key_changed_after_first_use(make_relay, procs, endpoint, burrow, keys, recorder):
    """Without --relay-key the first relay key is trusted and remembered in
    known_relays; another key later at the same address is refused by the
    client and by the endpoint."""
    first = make_relay()
    tofu_endpoint = start_endpoint(procs, "--relay", first.addr, "--name", "lab",
                                   "--service", f"rec={recorder.addr}", env=keys.env("lab"))
    result = burrow("connect", "--relay", first.addr, "lab", "rec", input=b"first")
    assert result.returncode == 0 and result.stdout == digest_reply(b"first"), describe(result)
    for role in ("client", "lab"):
        known = (keys.home(role) / "known_relays").read_text()
        assert first.addr in known and first.key.split()[1] in known, known

    first.proc.stop()
    second = make_relay(role="relay2", listen=first.addr)
    assert second.addr == first.addr and second.key != first.key
    tofu_endpoint.wait_for_line(contains="RELAY KEY CHANGED", stream="stderr",
                                timeout=COMMAND_TIMEOUT)
    assert tofu_endpoint.lines["stdout"].count(f"registered as lab with relay {first.addr}") == 1
    # A lab endpoint that pins the new key is online on the second relay...
    endpoint({"rec": recorder.addr}, relay=second)
    # ...but the client remembers the first key.
    for command in (["connect", "lab", "rec"], ["ls"]):
        result = burrow(command[0], "--relay", second.addr, *command[1:], input=b"second")
        refused(result, "RELAY KEY CHANGED")
    assert recorder.data() == [b"first"]
    assert tofu_endpoint.alive(), tofu_endpoint.report()


# ---------------------------------------------------------------- endpoint key pinning

def test_endpoint_key_changed_after_first_use(relay, endpoint, burrow, keys, recorder, digest_server):
    """The client remembers lab's key in known_endpoints; when the relay config
    gives the name `lab` to another key, the client refuses that endpoint."""
    real = endpoint({"rec": digest_server.addr})
    result = burrow("connect", *relay.args, "lab", "rec", input=b"abc")
    assert result.returncode == 0 and result.stdout == digest_reply(b"abc"), describe(result)
    known = (keys.home("client") / "known_endpoints").read_text()
    assert keys.pub("lab").split()[1] in known, known

    relay.rewrite(endpoints={"lab": "impostor"})
    relay.reload()
    relay.proc.wait_for_line(contains="configuration reloaded", stream="stderr")
    real.wait_for_line(contains="revoked", stream="stderr", timeout=COMMAND_TIMEOUT)
    endpoint({"rec": recorder.addr}, name="lab", role="impostor")

    result = burrow("connect", *relay.args, "lab", "rec", input=b"secret\n")
    refused(result, "ENDPOINT KEY CHANGED")
    # The client stops before it proves its key (msg3), and the endpoint dials
    # its service only after that proof: the service sees no connection.
    assert recorder.accepts == 0, recorder.data()


def fingerprint_of(burrow, keys, role):
    result = burrow("id", "--fingerprint", env=keys.env(role))
    assert result.returncode == 0, describe(result)
    return result.stdout.decode().strip()


def test_first_use_pins_the_endpoint_key_per_relay_once_proven(relay, endpoint, burrow, keys, digest_server):
    endpoint({"rec": digest_server.addr})
    result = burrow("connect", "--strict-endpoint-keys", *relay.args, "lab", "rec", input=b"abc")
    refused(result, "strict_endpoint_keys")
    assert not (keys.home("client") / "known_endpoints").exists()

    result = burrow("connect", *relay.args, "lab", "rec", input=b"abc")
    assert result.returncode == 0 and result.stdout == digest_reply(b"abc"), describe(result)
    # The fingerprint it prints is the one `burrow id --fingerprint` shows on the endpoint.
    assert f"it proved key {fingerprint_of(burrow, keys, 'lab')}; trusting it" in result.stderr.decode(), \
        describe(result)
    known = (keys.home("client") / "known_endpoints").read_text()
    assert known.startswith(f"lab@{relay.addr} {keys.pub('lab').split()[0]} {keys.pub('lab').split()[1]}"), known
    result = burrow("connect", "--strict-endpoint-keys", *relay.args, "lab", "rec", input=b"pinned")
    assert result.returncode == 0 and result.stdout == digest_reply(b"pinned"), describe(result)


def test_a_relay_naming_another_endpoint_key_gets_nothing_pinned_or_through(make_relay, endpoint, burrow, keys,
                                                                           recorder, tmp_path):
    """The relay names gpu's key in ACCEPT for lab: the end-to-end handshake
    fails (lab cannot prove gpu's key), so trust on first use pins nothing,
    and no byte reaches lab's service."""
    relay = make_relay(binary=TAP_BURROW, env={"BURROW_TAP_ACCEPT_KEY": keys.pub("gpu")})
    endpoint({"rec": recorder.addr}, relay=relay)
    result = burrow("connect", *relay.args, "lab", "rec", input=b"secret\n")
    assert result.returncode == 1 and result.stdout == b"", describe(result)
    assert not (keys.home("client") / "known_endpoints").exists(), \
        (keys.home("client") / "known_endpoints").read_text()
    assert all(d == b"" for d in recorder.data()), recorder.data()
    # With lab's key pinned in the config, the lie is refused at ACCEPT.
    pinned = tmp_path / "client.toml"
    pinned.write_text(f'relay = "{relay.addr}"\nrelay_key = "{relay.key}"\n\n[endpoints]\nlab = "{keys.pub("lab")}"\n')
    result = burrow("connect", "-c", pinned, "lab", "rec", input=b"secret\n")
    refused(result, "refusing")
    assert all(d == b"" for d in recorder.data()), recorder.data()


def test_client_config_pins_endpoint_key(relay, endpoint, forward, burrow, keys, recorder, tmp_path):
    endpoint({"rec": recorder.addr})
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(f'relay = "{relay.addr}"\nrelay_key = "{relay.key}"\n\n'
                     f'[endpoints]\nlab = "{keys.pub("gpu")}"\n')
    right = tmp_path / "right.toml"
    right.write_text(f'relay = "{relay.addr}"\nrelay_key = "{relay.key}"\n\n'
                     f'[endpoints]\nlab = "{keys.pub("lab")}"\n')

    result = burrow("connect", "-c", wrong, "lab", "rec", input=b"secret\n")
    refused(result, "refusing")
    assert any("pins" in l for l in error_lines(result)), describe(result)
    assert all(d == b"" for d in recorder.data()), recorder.data()

    result = burrow("connect", "-c", right, "lab", "rec", input=b"pinned")
    assert result.returncode == 0 and result.stdout == digest_reply(b"pinned"), describe(result)
    assert recorder.data()[-1] == b"pinned"
    assert not (keys.home("client") / "known_endpoints").exists()


# ---------------------------------------------------------------- reload

def test_reload_revokes_removed_key_and_refuses_broken_file(
        make_relay, endpoint, procs, burrow, keys, sshd, http_server, digest_server):
    relay = make_relay(clients={"client": ["*/*"], "bob": ["*/*"]})
    endpoint({"ssh": sshd.addr, "web": http_server.addr, "digest": digest_server.addr},
             relay=relay)
    bob = keys.env("bob")
    small = (http_server.root / "small.txt").read_bytes()

    # The client's open stream: ssh's banner shows it is through.
    alice = procs.start([BURROW, "connect", *relay.args, "lab", "ssh"], stdin=subprocess.PIPE,
                        env=keys.env("client"), name="connect (client)")
    alice.wait_for_line("SSH-2.0-", timeout=COMMAND_TIMEOUT)
    # Bob's: an interactive ssh session and a keep-alive HTTP connection.
    shell = procs.start(sshd.ssh_argv('while read line; do echo "got $line"; done', relay=relay),
                        stdin=subprocess.PIPE, env=bob, name="ssh session (bob)")
    shell.stdin.write(b"one\n")
    shell.stdin.flush()
    shell.wait_for_line("got one", timeout=COMMAND_TIMEOUT)
    fwd = procs.start([BURROW, "forward", *relay.args, "-L", "0:lab:web"], env=bob,
                      name="forward (bob)")
    port = int(fwd.wait_for_line("forwarding ").split()[1].rsplit(":", 1)[1])
    web = http.client.HTTPConnection("127.0.0.1", port, timeout=COMMAND_TIMEOUT)
    web.request("GET", "/small.txt")
    response = web.getresponse()
    assert (response.status, response.read()) == (200, small)

    relay.rewrite(clients={"bob": ["*/*"]})
    relay.reload()
    relay.proc.wait_for_line(contains="configuration reloaded", stream="stderr")
    assert alice.wait_exit() == 1, alice.report()
    assert any(l.startswith("burrow: ") and ("revoked" in l or "not allowed" in l)
               for l in alice.lines["stderr"]), alice.report()
    refused(burrow("ls", *relay.args), "not allowed on this relay")

    def bob_still_works(word):
        shell.stdin.write(f"{word}\n".encode())
        shell.stdin.flush()
        shell.wait_for_line(f"got {word}", timeout=COMMAND_TIMEOUT)
        web.request("GET", "/small.txt")
        response = web.getresponse()
        assert (response.status, response.read()) == (200, small)
        listing = burrow("ls", *relay.args, env=bob)
        assert listing.returncode == 0, describe(listing)
        assert listing.stdout.decode().split() == ["lab", "digest", "ssh", "web"], describe(listing)

    bob_still_works("two")

    relay.config.write_text(relay.config.read_text() + "\nthis is not toml\n")
    relay.reload()
    relay.proc.wait_for_line(contains="reload refused", stream="stderr")
    assert relay.proc.alive(), relay.proc.report()
    bob_still_works("three")
    refused(burrow("ls", *relay.args), "not allowed on this relay")

    web.close()
    shell.stdin.close()
    assert shell.wait_exit() == 0, shell.report()
