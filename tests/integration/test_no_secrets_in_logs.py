"""Logs carry no secrets: a relay, an endpoint, a forward and a connect, all
at trace level, carry a request whose URL and header hold a token (as a
Jupyter link does), and the relay's admin listener is asked with a right and
a wrong token; no line any of them printed holds those tokens, any private
key, or the secret of any resume ticket the relay issued, in base64 or in hex.
The relay is the test build with a tap that writes the tickets it issues."""
import base64
import os
import secrets
import shutil

from conftest import (BURROW, TAP_BURROW, describe, relay_toml, run, start_endpoint, start_forward, start_relay)

TRACE = ["--log-level", "trace"]


def private_key_forms(path):
    text = path.read_text().split()[1]  # "burrow-ed25519-private BASE64"
    seed = base64.b64decode(text)
    return [text, seed.hex(), base64.b64encode(seed).decode().rstrip("=")]


def test_trace_logs_hold_no_token_and_no_private_key(procs, keys, http_server, tmp_path, burrow_env):
    folder = tmp_path / "relay"
    folder.mkdir()
    shutil.copy2(keys.file("relay"), folder / "relay_id")
    os.chmod(folder / "relay_id", 0o600)
    config = folder / "relay.toml"
    admin_token = secrets.token_hex(20)
    config.write_text(relay_toml("127.0.0.1:0", "relay_id", [("lab", keys.pub("lab"))],
                                 [("client", keys.pub("client"), ["*/*"])]) +
                      f'\n[admin]\nlisten = "127.0.0.1:0"\ntoken = "{admin_token}"\n')
    tickets = tmp_path / "tickets"
    relay = start_relay(procs, *TRACE, "-c", config, env=keys.env("relay", BURROW_TAP_TICKETS=str(tickets)),
                        binary=TAP_BURROW)
    start_endpoint(procs, *TRACE, *relay.args, "--name", "lab", "--service", f"web={http_server.addr}",
                   env=keys.env("lab"))
    fwd = start_forward(procs, *TRACE, *relay.args, specs=["0:lab:web"], env=keys.env("client"))

    token = secrets.token_hex(24)
    url = f"http://127.0.0.1:{fwd.port_for('lab/web')}/small.txt?token={token}"
    got = run(["curl", "-sS", "-H", f"Authorization: token {token}", url], None)
    assert got.returncode == 0 and got.stdout == b"hello from the lab web server\n", describe(got)
    request = f"GET /small.txt?token={token} HTTP/1.0\r\nAuthorization: token {token}\r\n\r\n".encode()
    connected = run([BURROW, *TRACE, "connect", *relay.args, "lab/web"], burrow_env, input=request)
    assert connected.returncode == 0 and connected.stdout.endswith(b"hello from the lab web server\n"), \
        describe(connected)

    admin = relay.proc.wait_for_line("admin on").split()[-1]
    for presented, code in ((admin_token, b"200"), (admin_token[::-1], b"401")):
        got = run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Authorization: Bearer {presented}",
                   f"http://{admin}/metrics?token={presented}"], None)
        assert got.stdout == code, describe(got)

    logs = "\n".join(line for p in procs.procs for stream in ("stdout", "stderr") for line in p.lines[stream])
    logs += "\n" + connected.stderr.decode(errors="replace")
    assert " debug " in logs, "the processes did not log at the most detailed level"
    assert keys.pub("relay").split()[1] in logs, "the search misses what the relay printed"  # public: fine
    assert token not in logs, "a token from the request's URL or header is in a log"
    assert admin_token not in logs and admin_token[::-1] not in logs, "an admin token is in a log"
    issued = [line.split() for line in tickets.read_text().splitlines()]
    assert len(issued) >= 3, "the relay issued fewer resume tickets than there were sessions"
    for ticket_id, secret in issued:
        raw = bytes.fromhex(secret)
        for form in (secret, secret.upper(), base64.b64encode(raw).decode().rstrip("="),
                     base64.urlsafe_b64encode(raw).decode().rstrip("=")):
            assert form not in logs, "a resume ticket's secret is in a log"
    for role in ("relay", "lab", "client"):
        for form in private_key_forms(keys.file(role)):
            assert form not in logs, f"the {role} private key is in a log"
