"""A stream to a closed service port is rejected; other streams of the same
endpoint session keep working."""
import http.client
import subprocess

from conftest import COMMAND_TIMEOUT, describe, error_lines, expect_closed_without_data


def http_get(conn, path):
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


def test_closed_service_port_is_rejected_without_harm(
        relay, endpoint, forward, procs, burrow, sshd, http_server, burrow_env, reserve_port):
    endpoint_proc = endpoint({"web": http_server.addr, "ssh": sshd.addr,
                              "dead": f"127.0.0.1:{reserve_port()}"})
    fwd = forward("127.0.0.1:0:lab:web", "0:lab:dead")
    small = (http_server.root / "small.txt").read_bytes()

    # Streams opened before the rejections: an interactive ssh session and a
    # keep-alive HTTP connection.
    shell = procs.start(sshd.ssh_argv('while read line; do echo "got $line"; done',
                                      relay=relay),
                        stdin=subprocess.PIPE, name="ssh session")
    shell.stdin.write(b"one\n")
    shell.stdin.flush()
    shell.wait_for_line("got one", timeout=COMMAND_TIMEOUT)
    web = http.client.HTTPConnection("127.0.0.1", fwd.port_for("lab/web"),
                                     timeout=COMMAND_TIMEOUT)
    assert http_get(web, "/small.txt") == (200, small)

    expect_closed_without_data(fwd.port_for("lab/dead"))
    fwd.proc.wait_for_line(contains="refused", stream="stderr", timeout=COMMAND_TIMEOUT)

    result = burrow("connect", *relay.args, "lab", "dead", input=b"ping\n")
    assert result.returncode == 1, describe(result)
    assert any("refused" in l for l in error_lines(result)), describe(result)

    # The streams opened before still work, and new ones too.
    shell.stdin.write(b"two\n")
    shell.stdin.flush()
    shell.wait_for_line("got two", timeout=COMMAND_TIMEOUT)
    assert http_get(web, "/small.txt") == (200, small)
    web.close()
    fresh = http.client.HTTPConnection("127.0.0.1", fwd.port_for("lab/web"),
                                       timeout=COMMAND_TIMEOUT)
    assert http_get(fresh, "/small.txt") == (200, small)
    fresh.close()
    shell.stdin.close()
    assert shell.wait_exit() == 0, shell.report()
    assert endpoint_proc.alive() and fwd.proc.alive()
