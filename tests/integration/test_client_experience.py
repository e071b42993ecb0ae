"""What a user of `burrow forward` and `burrow connect` meets: forwards that
wait for the relay and the endpoint like autossh, targets checked at start,
a changed relay key that fails fast with its fix, pins listed and removed,
and goodbyes that let the relay drop a session at once."""
import re
import signal
import socket
import threading

import pytest

from conftest import BURROW, COMMAND_TIMEOUT, Forward, describe, run, start_endpoint, start_relay


def fetch(port, path="/small.txt"):
    return run(["curl", "-sS", "--max-time", "30", f"http://127.0.0.1:{port}{path}"], None)


def expect_reset(port, timeout=COMMAND_TIMEOUT):
    """A connection to a forward port is reset (at connect or at the first
    read), not ended cleanly and not left hanging."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            data = s.recv(1)
    except ConnectionResetError:
        return
    raise AssertionError(f"not reset: read {data!r}")


def relay_on(make_relay, port, role="relay", **kw):
    return make_relay(listen=f"127.0.0.1:{port}", role=role, **kw)


def test_forward_started_before_the_relay_comes_up_by_itself(make_relay, endpoint, procs, keys,
                                                            http_server, reserve_port):
    port = reserve_port()
    argv = [BURROW, "forward", "--relay", f"127.0.0.1:{port}", "--relay-key", keys.pub("relay"),
            "-L", "0:lab:web"]
    fwd = Forward(procs.start(argv, env=keys.env("client"), name="forward"), 1)
    # It listens at once and says what it waits for.
    fwd.proc.wait_for_line(contains=f"relay 127.0.0.1:{port} unreachable", stream="stderr")
    assert fwd.proc.alive(), fwd.proc.report()
    relay = relay_on(make_relay, port)
    endpoint({"web": http_server.addr}, relay=relay)
    fwd.proc.wait_for_line(contains="-> lab/web: ok", stream="stderr", timeout=COMMAND_TIMEOUT)
    got = fetch(fwd.port_for("lab/web"))
    assert got.returncode == 0 and got.stdout == b"hello from the lab web server\n", describe(got)


def test_connection_waits_for_an_endpoint_that_comes_online(relay, endpoint, forward, http_server):
    fwd = forward("0:lab:web")
    fwd.proc.wait_for_line(contains="endpoint 'lab' is offline: waiting for it", stream="stderr")
    result = {}
    fetcher = threading.Thread(target=lambda: result.update(r=fetch(fwd.port_for("lab/web"))))
    fetcher.start()
    fwd.proc.wait_for_line(contains="a new connection waits up to 10 s for it", stream="stderr")
    endpoint({"web": http_server.addr})
    fetcher.join(COMMAND_TIMEOUT)
    got = result["r"]
    assert got.returncode == 0 and got.stdout == b"hello from the lab web server\n", describe(got)


def test_connection_to_an_endpoint_that_stays_offline_is_reset_with_a_reason(relay, forward):
    fwd = forward("0:lab:web")
    expect_reset(fwd.port_for("lab/web"))
    fwd.proc.wait_for_line(contains="connection reset: endpoint 'lab' is offline (waited 10 s)",
                           stream="stderr")


def test_targets_are_checked_at_start(make_relay, endpoint, forward, http_server, sshd):
    relay = make_relay(clients={"client": ["lab/*", "gpu/ssh"]})
    endpoint({"web": http_server.addr}, name="lab", relay=relay)
    endpoint({"web": http_server.addr, "ssh": sshd.addr}, name="gpu", relay=relay)
    fwd = forward("0:localhost:8888", "0:lab:nope", "0:gpu:web", "0:lab:web", relay=relay)
    lines = {t: fwd.proc.wait_for_line(contains=f"-> {t}: ", stream="stderr")
             for t in ("localhost/8888", "lab/nope", "gpu/web", "lab/web")}
    assert lines["localhost/8888"].endswith(
        "no endpoint 'localhost' you may open (online: gpu, lab)"), lines
    assert lines["lab/nope"].endswith("endpoint 'lab' has no service 'nope' (it has: web)"), lines
    assert "is not granted 'gpu/web' on this relay" in lines["gpu/web"], lines
    assert "gpu" not in lines["gpu/web"].split("is not granted")[0].split("->")[0], lines
    assert lines["lab/web"].endswith(": ok"), lines
    got = fetch(fwd.port_for("lab/web"))
    assert got.returncode == 0 and got.stdout == b"hello from the lab web server\n", describe(got)
    # A connection to a bad target is reset at once, with the reason in the log.
    expect_reset(fwd.port_for("lab/nope"))
    fwd.proc.wait_for_line(contains="lab/nope (from 127.0.0.1:", stream="stderr")


def test_ls_hides_endpoints_the_client_may_not_open_from_the_check(make_relay, endpoint, forward,
                                                                   http_server):
    relay = make_relay(clients={"client": ["lab/*"]})
    endpoint({"web": http_server.addr}, name="gpu", relay=relay)
    fwd = forward("0:gpu:web", relay=relay)
    line = fwd.proc.wait_for_line(contains="-> gpu/web: ", stream="stderr")
    assert line.endswith("no endpoint 'gpu' you may open (none is online)"), line


def test_relay_key_change_fails_fast_and_known_rm_recovers(make_relay, endpoint, procs, keys,
                                                         http_server, burrow, reserve_port):
    port = reserve_port()
    relay = relay_on(make_relay, port)
    endpoint({"web": http_server.addr}, relay=relay)
    # Trust on first use: no --relay-key.
    argv = [BURROW, "forward", "--relay", f"127.0.0.1:{port}", "-L", "0:lab:web"]
    fwd = Forward(procs.start(argv, env=keys.env("client"), name="forward"), 1)
    fwd.proc.wait_for_line(contains="-> lab/web: ok", stream="stderr")
    listed = burrow("known", env=keys.env("client"))
    assert listed.returncode == 0 and f"127.0.0.1:{port}" in listed.stdout.decode(), describe(listed)

    relay.proc.p.send_signal(signal.SIGKILL)
    relay.proc.wait_exit()
    other = relay_on(make_relay, port, role="relay2")
    endpoint({"web": http_server.addr}, relay=other)
    line = fwd.proc.wait_for_line(contains="RELAY KEY CHANGED", stream="stderr", timeout=COMMAND_TIMEOUT)
    assert f"burrow known rm 127.0.0.1:{port}" in line and " error " in line, line
    # Refused at once while the key is refused: a reset, whose reason is the
    # refusal, not the end of the forward's 10 s wait for a session.
    expect_reset(fwd.port_for("lab/web"))
    line = fwd.proc.wait_for_line(contains="lab/web (from 127.0.0.1:", stream="stderr")
    assert line.endswith("connection reset: the relay refuses this client, or its key is refused "
                         "(see the error above)"), line
    assert sum("RELAY KEY CHANGED" in l for l in fwd.proc.lines["stderr"]) == 1, fwd.proc.report()

    removed = burrow("known", "rm", f"127.0.0.1:{port}", env=keys.env("client"))
    assert removed.returncode == 0, describe(removed)
    assert f"removed 1 pin(s) of 127.0.0.1:{port}" in removed.stdout.decode(), describe(removed)
    fwd.proc.wait_for_line(contains=f"relay 127.0.0.1:{port} is new: trusting its key", stream="stderr",
                           timeout=COMMAND_TIMEOUT)
    fwd.proc.wait_for_lines(contains="-> lab/web: ok", n=2, stream="stderr", timeout=COMMAND_TIMEOUT)
    got = fetch(fwd.port_for("lab/web"))
    assert got.returncode == 0 and got.stdout == b"hello from the lab web server\n", describe(got)


def test_endpoint_names_its_fix_once_when_the_relay_key_is_refused(relay, procs, keys):
    proc = start_endpoint(procs, "--log-level", "debug", "--relay", relay.addr, "--relay-key", keys.pub("relay2"),
                          "--name", "lab", "--service", "web=127.0.0.1:1", env=keys.env("lab"), wait=False)
    line = proc.wait_for_line(contains="RELAY KEY CHANGED", stream="stderr")
    assert "put its new key (burrow id on the relay) in --relay-key" in line and " error " in line, line
    proc.wait_for_lines(contains="key refused; retrying", n=2, stream="stderr", timeout=COMMAND_TIMEOUT)
    assert sum("RELAY KEY CHANGED" in l for l in proc.lines["stderr"]) == 1, proc.report()
    assert proc.alive(), proc.report()


def test_ctrl_c_on_forward_closes_its_session_on_the_relay_at_once(relay, endpoint, forward, http_server):
    endpoint({"web": http_server.addr})
    fwd = forward("0:lab:web")
    fwd.proc.wait_for_line(contains="-> lab/web: ok", stream="stderr")
    fwd.proc.p.send_signal(signal.SIGINT)
    assert fwd.proc.wait_exit() == 0, fwd.proc.report()
    relay.proc.wait_for_line(contains="closed by the peer (forward stopping)", stream="stderr")
    relay.proc.p.send_signal(signal.SIGTERM)
    assert relay.proc.wait_exit() == 0, relay.proc.report()
    text = "\n".join(relay.proc.lines["stderr"])
    assert "waiting up to 60 s to resume" not in text, relay.proc.report()
    assert "drain deadline reached" not in text, relay.proc.report()


def test_ssh_through_connect_leaves_no_session_to_resume(relay, endpoint, sshd, burrow_env):
    endpoint({"ssh": sshd.addr})
    for i in range(10):
        done = run(sshd.ssh_argv("true", relay=relay), burrow_env)
        assert done.returncode == 0, describe(done)
        # ssh shows the ProxyCommand's stderr: only the first use of the endpoint's key speaks.
        assert i == 0 or done.stderr == b"", describe(done)
    relay.proc.wait_for_lines(contains="ended: closed by the peer", n=10, stream="stderr", timeout=COMMAND_TIMEOUT)
    text = "\n".join(relay.proc.lines["stderr"])
    assert "waiting up to 60 s to resume" not in text, relay.proc.report()


def test_relay_drain_does_not_wait_for_a_suspended_session(relay, endpoint, forward, http_server):
    endpoint({"web": http_server.addr})
    fwd = forward("0:lab:web")
    fwd.proc.wait_for_line(contains="-> lab/web: ok", stream="stderr")
    # An open stream on a session whose peer vanishes without a goodbye.
    conn = socket.create_connection(("127.0.0.1", fwd.port_for("lab/web")), timeout=COMMAND_TIMEOUT)
    conn.sendall(b"GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    conn.recv(1)
    fwd.proc.p.send_signal(signal.SIGKILL)
    fwd.proc.wait_exit()
    relay.proc.wait_for_line(contains="waiting up to 60 s to resume", stream="stderr")
    relay.proc.p.send_signal(signal.SIGTERM)
    assert relay.proc.wait_exit() == 0, relay.proc.report()
    assert "drain deadline reached" not in "\n".join(relay.proc.lines["stderr"]), relay.proc.report()
    conn.close()


def test_second_relay_takes_over_the_control_socket_when_the_first_drains(procs, keys, tmp_path,
                                                                          burrow):
    env = keys.env("relay")
    first = start_relay(procs, "--listen", "127.0.0.1:0", env=env)
    second = start_relay(procs, "--listen", "127.0.0.1:0", env=env)
    second.proc.wait_for_line(contains="takes it over when that one stops", stream="stderr")
    first.proc.p.send_signal(signal.SIGTERM)
    assert first.proc.wait_exit() == 0, first.proc.report()
    second.proc.wait_for_line(contains="taken over", stream="stderr", timeout=COMMAND_TIMEOUT)
    answer = burrow("relay", "reload", env=env)
    assert answer.returncode == 1, describe(answer)  # started without -c: it answers, and says why
    assert "started without a config file" in answer.stderr.decode(), describe(answer)


def test_endpoint_retries_at_most_8_s_apart_during_a_long_relay_outage(make_relay, procs, keys, http_server,
                                                                      reserve_port):
    """Back within 10 s of the relay's return however long it was away: the
    announced retry delays grow to 8 s and no further."""
    port = reserve_port()
    proc = start_endpoint(procs, "--relay", f"127.0.0.1:{port}", "--relay-key", keys.pub("relay"), "--name", "lab",
                          "--service", f"web={http_server.addr}", env=keys.env("lab"), wait=False)
    lines = proc.wait_for_lines(contains="retrying in", n=7, stream="stderr", timeout=90)
    delays = [int(re.search(r"retrying in (\d+) ms", l).group(1)) for l in lines]
    assert max(delays) <= 8000 and max(delays[-2:]) >= 4000, delays
    relay_on(make_relay, port)
    proc.wait_for_line("registered as lab with relay", timeout=COMMAND_TIMEOUT)


def test_forward_whose_key_the_relay_refuses_backs_off(relay, procs, keys):
    """It must not call itself connected, nor start its backoff again, after each refusal."""
    argv = [BURROW, "forward", *relay.args, "-L", "0:lab:web"]
    fwd = Forward(procs.start(argv, env=keys.env("stranger"), name="forward"), 1)
    relay.proc.wait_for_lines(contains="key not in this relay's config", n=4, stream="stderr",
                              timeout=COMMAND_TIMEOUT)
    stderr = "\n".join(fwd.proc.lines["stderr"])
    assert stderr.count(" error session to relay") == 1, fwd.proc.report()  # said once per change
    assert "connected to relay" not in stderr, fwd.proc.report()


def test_endpoint_that_stops_is_offline_at_once_not_held_for_a_resume(relay, endpoint, burrow, http_server):
    """A stop drains (GOAWAY going_away) and then ends the session (GOAWAY cancelled):
    the relay closes it instead of holding it for 60 s as if the connection broke."""
    lab = endpoint({"web": http_server.addr})
    lab.p.send_signal(signal.SIGTERM)
    assert lab.wait_exit() == 0, lab.report()
    relay.proc.wait_for_line(contains="endpoint 'lab' offline", stream="stderr")
    log = "\n".join(relay.proc.lines["stderr"])
    assert "its connection broke" not in log, relay.proc.report()
    assert "closed by the peer" in log, relay.proc.report()
    result = burrow("connect", *relay.args, "lab/web", input=b"")
    assert result.returncode != 0, describe(result)
    assert "no endpoint named 'lab' is online" in result.stderr.decode(), describe(result)
