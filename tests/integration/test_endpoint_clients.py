"""The endpoint decides who reaches its services, whatever the relay admits:
its own list (allowed_clients in burrow's folder, `burrow endpoint allow`,
[[clients]] in endpoint.toml, --allow), checked against the key the
end-to-end handshake proves. No list admits no one."""
import socket
import subprocess

from clients import digest_reply
from conftest import BURROW, COMMAND_TIMEOUT, describe, relay_toml, start_endpoint, start_relay, wait_for


def connect(burrow, relay, target, role="client", keys=None):
    env = keys.env(role) if keys else None
    return burrow("connect", *relay.args, target, input=b"", env=env)


def fingerprint(burrow, keys, role):
    result = burrow("id", "--fingerprint", env=keys.env(role))
    assert result.returncode == 0, describe(result)
    return result.stdout.decode().strip()


def test_no_list_admits_no_one_and_says_how_to_fix_it(make_relay, procs, keys, burrow, recorder):
    relay = make_relay()
    (keys.home("lab") / "allowed_clients").unlink()
    lab = start_endpoint(procs, *relay.args, "--name", "lab", "--service", f"web={recorder.addr},e2e=off",
                         env=keys.env("lab"))
    lab.wait_for_line(contains="no client may reach this endpoint's services yet", stream="stderr")

    result = connect(burrow, relay, "lab/web")
    assert result.returncode != 0 and result.stdout == b"", describe(result)
    client_fp = fingerprint(burrow, keys, "client")
    err = result.stderr.decode()
    assert f"endpoint 'lab' does not allow key {client_fp} to reach 'web'" in err, describe(result)
    assert f"burrow endpoint allow '{keys.pub('client').split(' ', 2)[0]} " in err, describe(result)
    assert recorder.accepts == 0  # the service never saw a connection

    # The fix the message names, then a reload, and the same client gets through.
    allowed = burrow("endpoint", "allow", keys.pub("client"), "--service", "web", env=keys.env("lab"))
    assert allowed.returncode == 0, describe(allowed)
    assert (keys.home("lab") / "allowed_clients").read_text().startswith("services=web burrow-ed25519 ")
    reloaded = burrow("endpoint", "reload", env=keys.env("lab"))
    assert reloaded.returncode == 0 and b"1 client(s) allowed" in reloaded.stdout, describe(reloaded)
    result = connect(burrow, relay, "lab/web")
    assert result.returncode == 0 and result.stdout == digest_reply(b""), describe(result)
    assert recorder.accepts == 1


def test_only_listed_keys_reach_only_their_services(make_relay, procs, keys, burrow, tmp_path, recorder):
    relay = make_relay(clients={"client": ["*/*"], "other": ["*/*"]})  # the relay admits both
    config = tmp_path / "endpoint.toml"
    config.write_text(f'name = "lab"\nrelay = "{relay.addr}"\nrelay_key = "{relay.key}"\n'
                      f'allowed_clients = "nothing-here"\n\n'
                      f'[services]\nweb = {{ address = "{recorder.addr}", e2e = false }}\n'
                      f'ssh = {{ address = "{recorder.addr}", e2e = false }}\n\n'
                      f'[[clients]]\nname = "alice"\nkey = "{keys.pub("client")}"\nservices = ["web"]\n')
    lab = start_endpoint(procs, "-c", config, env=keys.env("lab"))
    lab.wait_for_line(contains="may reach web", stream="stderr")

    result = connect(burrow, relay, "lab/web")
    assert result.returncode == 0 and result.stdout == digest_reply(b""), describe(result)
    result = connect(burrow, relay, "lab/ssh")
    assert result.returncode != 0, describe(result)
    assert f"does not allow key {fingerprint(burrow, keys, 'client')} to reach 'ssh'" in result.stderr.decode()
    result = connect(burrow, relay, "lab/web", role="other", keys=keys)
    assert result.returncode != 0 and result.stdout == b"", describe(result)
    assert f"does not allow key {fingerprint(burrow, keys, 'other')} to reach 'web'" in result.stderr.decode()
    assert recorder.accepts == 1
    lab.wait_for_line(contains=f"refused: alice ({fingerprint(burrow, keys, 'client')}) is not allowed to reach "
                               "'ssh' here", stream="stderr")

    # services = ["*"] and --allow admit every service.
    lab.stop()
    config.write_text(config.read_text().replace('services = ["web"]', 'services = ["*"]'))
    start_endpoint(procs, "-c", config, "--allow", keys.pub("other"), env=keys.env("lab"))
    for role in ("client", "other"):
        result = connect(burrow, relay, "lab/ssh", role=role, keys=keys)
        assert result.returncode == 0 and result.stdout == digest_reply(b""), describe(result)


def test_one_client_key_holds_at_most_max_streams_per_client(make_relay, procs, keys, burrow, tmp_path, recorder):
    relay = make_relay(clients={"client": ["*/*"], "other": ["*/*"]})
    config = tmp_path / "endpoint.toml"
    config.write_text(f'name = "lab"\nrelay = "{relay.addr}"\nrelay_key = "{relay.key}"\n'
                      f'max_streams_per_client = 2\n\n[services]\nrec = "{recorder.addr}"\n')
    lab = start_endpoint(procs, "-c", config, "--allow", keys.pub("other"), env=keys.env("lab"))
    held = []
    for i in range(2):
        p = procs.start([BURROW, "connect", *relay.args, "lab/rec"], stdin=subprocess.PIPE, name=f"connect {i}")
        p.stdin.write(b"held %d\n" % i)
        p.stdin.flush()
        held.append(p)
    wait_for("both held streams reach the service",
             lambda: sorted(recorder.data()) == [b"held 0\n", b"held 1\n"], state=recorder.data)

    result = connect(burrow, relay, "lab/rec")
    assert result.returncode != 0 and result.stdout == b"", describe(result)
    assert (f"endpoint 'lab' allows 2 open streams per client key (max_streams_per_client), and key "
            f"{fingerprint(burrow, keys, 'client')} holds that many") in result.stderr.decode(), describe(result)
    lab.wait_for_line(contains="holds 2 streams here already (max_streams_per_client)", stream="stderr")
    # Another key is not held back by this one.
    result = connect(burrow, relay, "lab/rec", role="other", keys=keys)
    assert result.returncode == 0 and result.stdout == digest_reply(b""), describe(result)
    assert recorder.accepts == 3

    # A stream that ends frees its place.
    held[0].stdin.close()
    assert held[0].wait_exit() == 0, held[0].report()
    result = connect(burrow, relay, "lab/rec")
    assert result.returncode == 0 and result.stdout == digest_reply(b""), describe(result)
    held[1].stdin.close()
    assert held[1].wait_exit() == 0, held[1].report()


def test_max_streams_per_client_must_be_a_positive_count(keys, burrow, tmp_path):
    config = tmp_path / "endpoint.toml"
    config.write_text('name = "lab"\nrelay = "127.0.0.1:1"\nmax_streams_per_client = 0\n')
    result = burrow("endpoint", "-c", config, env=keys.env("lab"))
    assert result.returncode != 0, describe(result)
    assert (f"{config}:3: 'max_streams_per_client' must be a whole number from 1 to 1000000"
            in result.stderr.decode()), describe(result)


def test_a_bad_allowed_clients_line_stops_the_endpoint_with_file_and_line(make_relay, keys, burrow):
    relay = make_relay()
    listed = keys.home("lab") / "allowed_clients"
    listed.write_text("# who may reach lab\n\nservices=web burrow-ed25519 not-a-key\n")
    result = burrow("endpoint", *relay.args, "--name", "lab", "--service", "web=127.0.0.1:1",
                    env=keys.env("lab"), timeout=COMMAND_TIMEOUT)
    assert result.returncode == 1, describe(result)
    assert f"{listed}:3: expected [services=a,b ]burrow-ed25519 KEY [comment]" in result.stderr.decode(), \
        describe(result)


def test_a_relay_opening_streams_with_its_own_key_reaches_no_service(procs, keys, tmp_path, recorder, endpoint,
                                                                     burrow, reserve_port):
    """A public port is the relay opening a stream as itself: what a relay broken
    into could do to reach Jupyter. Without the relay's key on the endpoint's
    list, the service sees no connection."""
    port = reserve_port()
    config = tmp_path / "relay.toml"
    (tmp_path / "relay_id").write_bytes(keys.file("relay").read_bytes())
    (tmp_path / "relay_id").chmod(0o600)
    config.write_text(relay_toml("127.0.0.1:0", "relay_id", [("lab", keys.pub("lab"))],
                                 [("client", keys.pub("client"), ["*/*"])]) +
                      f'\n[[expose]]\nport = {port}\ntarget = "lab/rec"\nbind = "127.0.0.1"\n')
    relay = start_relay(procs, "-c", config, env=keys.env("relay"))
    lab = endpoint({"rec": f"{recorder.addr},e2e=off"}, relay=relay)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=COMMAND_TIMEOUT) as s:
            s.sendall(b"through the relay's own key")
            s.shutdown(socket.SHUT_WR)
            got = s.recv(100)
    except ConnectionResetError:
        got = b""
    assert got == b""
    relay_fp = fingerprint(burrow, keys, "relay")
    lab.wait_for_line(contains=f"refused: {relay_fp} is not allowed to reach 'rec' here", stream="stderr")
    assert recorder.accepts == 0

