"""The direct path on loopback: an endpoint's direct listener, advertised to
the relay, carries a forward's streams without the relay; a candidate that
does not answer, or a client the endpoint does not list, leaves the relay path.
(The UPnP path through a real router is in test_direct_upnp.py.)"""
import json
import re
import socket

from conftest import COMMAND_TIMEOUT, describe, run


def fetch(port, path):
    with socket.create_connection(("127.0.0.1", port), timeout=COMMAND_TIMEOUT) as conn:
        conn.sendall(f"GET /{path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        chunks = []
        while True:
            data = conn.recv(65536)
            if not data:
                break
            chunks.append(data)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200") or head.startswith(b"HTTP/1.1 200"), head[:200]
    return body


def test_forward_takes_the_advertised_direct_path(relay, endpoint, forward, http_server, burrow, burrow_env,
                                                  reserve_port):
    import hashlib
    port = reserve_port()
    ep = endpoint({"web": http_server.addr}, args=["--direct-listen", f"127.0.0.1:{port}",
                                                     "--advertise", f"127.0.0.1:{port}"])
    ep.wait_for_line(contains=f"direct listener on 127.0.0.1:{port}", stream="stderr")
    relay.proc.wait_for_line(contains=f"endpoint 'lab': direct candidates 127.0.0.1:{port}", stream="stderr")
    fwd = forward("0:lab:web")
    fwd.proc.wait_for_line(contains=f"lab: direct path to 127.0.0.1:{port}", stream="stderr")
    body = fetch(fwd.port_for("lab/web"), "blob.bin")
    assert hashlib.sha256(body).hexdigest() == http_server.sha256["blob.bin"]
    ep.wait_for_line(contains="direct session from 127.0.0.1", stream="stderr")
    # The relay spliced nothing: the bytes went straight to the endpoint.
    status = burrow("status", "--json")
    assert status.returncode == 0, describe(status)
    forwards = json.loads(status.stdout)["forwards"]
    mine = [f for f in forwards if f["pid"] == fwd.proc.p.pid]
    assert mine and mine[0]["forwards"][0]["path"] == f"direct 127.0.0.1:{port}", status.stdout
    assert mine[0]["forwards"][0]["bytes_received"] >= len(body)
    ls = burrow("ls", "-l", *relay.args)
    assert ls.returncode == 0, describe(ls)
    assert f"127.0.0.1:{port}" in ls.stdout.decode(), ls.stdout.decode()
    listed = {e["name"]: e for e in json.loads(burrow("ls", "--json", *relay.args).stdout)}
    assert listed["lab"]["direct"] == [f"127.0.0.1:{port}"], listed


def test_a_candidate_that_does_not_answer_leaves_the_relay_path(relay, endpoint, forward, http_server,
                                                                reserve_port):
    listen, dead = reserve_port(), reserve_port()  # nothing listens on `dead`
    endpoint({"web": http_server.addr}, args=["--direct-listen", f"127.0.0.1:{listen}",
                                               "--advertise", f"127.0.0.1:{dead}"])
    relay.proc.wait_for_line(contains=f"direct candidates 127.0.0.1:{dead}", stream="stderr")
    fwd = forward("0:lab:web")
    line = fwd.proc.wait_for_line(contains="lab: no direct path", stream="stderr")
    assert f"127.0.0.1:{dead}" in line and "through the relay" in line, line
    body = fetch(fwd.port_for("lab/web"), "small.txt")
    assert body == (http_server.root / "small.txt").read_bytes()


def test_the_direct_listener_admits_only_keys_on_the_endpoints_list(make_relay, endpoint, forward, http_server,
                                                                     reserve_port):
    """A key the relay grants but the endpoint does not list gets no direct
    session, and no stream through the relay either."""
    relay = make_relay(clients={"client": ["*/*"], "other": ["*/*"]})
    relay.client_roles = ["client"]  # the endpoint lists `client` only
    port = reserve_port()
    ep = endpoint({"web": http_server.addr}, relay=relay, args=["--direct-listen", f"127.0.0.1:{port}",
                                                                 "--advertise", f"127.0.0.1:{port}"])
    fwd = forward("0:lab:web", role="other", relay=relay)
    line = fwd.proc.wait_for_line(contains="lab: no direct path", stream="stderr")
    assert "the endpoint refused" in line and "may not reach this endpoint" in line, line
    ep.wait_for_line(contains="direct listener: refused", stream="stderr")
    with socket.create_connection(("127.0.0.1", fwd.port_for("lab/web")), timeout=COMMAND_TIMEOUT) as conn:
        conn.sendall(b"GET /small.txt HTTP/1.0\r\n\r\n")
        try:
            assert conn.recv(100) == b""
        except ConnectionResetError:
            pass
    ep.wait_for_line(contains="is not allowed to reach 'web'", stream="stderr")


def test_connect_takes_the_direct_path(relay, endpoint, http_server, burrow, reserve_port):
    port = reserve_port()
    ep = endpoint({"web": http_server.addr}, args=["--direct-listen", f"127.0.0.1:{port}",
                                                     "--advertise", f"127.0.0.1:{port}"])
    relay.proc.wait_for_line(contains=f"direct candidates 127.0.0.1:{port}", stream="stderr")
    done = burrow("connect", *relay.args, "lab", "web", input=b"GET /small.txt HTTP/1.0\r\n\r\n")
    assert done.returncode == 0, describe(done)
    assert done.stdout.endswith((http_server.root / "small.txt").read_bytes()), describe(done)
    assert f"lab: direct path to 127.0.0.1:{port}" in done.stderr.decode(), describe(done)
    ep.wait_for_line(contains="direct session from 127.0.0.1", stream="stderr")


def test_direct_keys_in_the_endpoint_config(relay, keys, procs, burrow, tmp_path, http_server, reserve_port):
    from conftest import start_endpoint
    port = reserve_port()
    config = tmp_path / "endpoint.toml"
    config.write_text(f'name = "lab"\nrelay = "{relay.addr}"\nrelay_key = "{relay.key}"\n'
                      f'direct_listen = "127.0.0.1:{port}"\n'
                      f'direct_advertise = ["127.0.0.1:{port}", "lab.example.org:7444"]\n\n'
                      f'[services]\nweb = "{http_server.addr}"\n')
    ep = start_endpoint(procs, "-c", config, env=keys.env("lab"))
    ep.wait_for_line(contains=f"direct listener on 127.0.0.1:{port} (advertised as 127.0.0.1:{port}, "
                              "lab.example.org:7444)", stream="stderr")
    relay.proc.wait_for_line(contains=f"direct candidates 127.0.0.1:{port}, lab.example.org:7444", stream="stderr")

    config.write_text(config.read_text().replace('"lab.example.org:7444"', '"lab example:7444"'))
    bad = burrow("endpoint", "-c", config, env=keys.env("lab"))
    assert bad.returncode != 0
    assert f"{config}:5" in bad.stderr.decode() and "'lab example:7444'" in bad.stderr.decode(), describe(bad)
    taken = burrow("endpoint", *relay.args, "--name", "lab", "--service", f"web={http_server.addr}",
                   "--direct-listen", f"127.0.0.1:{port}", env=keys.env("lab"))
    assert taken.returncode != 0 and "address already in use" in taken.stderr.decode().lower(), describe(taken)
