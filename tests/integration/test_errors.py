"""Error reporting: one `burrow: ...` line on stderr and the right exit status."""
import re
import socket
import threading

import pytest

from conftest import COMMAND_TIMEOUT, describe, error_lines, expect_closed_without_data

UNKNOWN = [("nope", "web", "no endpoint named 'nope'"),
           ("lab", "nope", "has no service 'nope'")]
UNKNOWN_IDS = ["unknown-endpoint", "unknown-service"]


@pytest.fixture
def lab_web(endpoint, http_server):
    return endpoint({"web": http_server.addr})


@pytest.mark.parametrize("name,service,reason", UNKNOWN, ids=UNKNOWN_IDS)
def test_connect_rejected(relay, lab_web, burrow, name, service, reason):
    result = burrow("connect", *relay.args, name, service, input=b"")
    assert result.returncode == 1, describe(result)
    assert any(reason in l for l in error_lines(result)), describe(result)


# The forward asks the relay about a target before it opens a stream to it.
FORWARD_UNKNOWN = [("nope", "web", "no endpoint 'nope' you may open (online: lab)"),
                   ("lab", "nope", "endpoint 'lab' has no service 'nope' (it has: web)")]


@pytest.mark.parametrize("name,service,reason", FORWARD_UNKNOWN, ids=UNKNOWN_IDS)
def test_forward_rejected_stream_is_closed_and_logged(relay, lab_web, forward,
                                                      name, service, reason):
    fwd = forward(f"0:{name}:{service}")
    for attempt in (1, 2):  # the forward keeps serving after a rejection
        expect_closed_without_data(fwd.port_for(f"{name}/{service}"))
        fwd.proc.wait_for_lines(contains="connection reset: " + reason, n=attempt, stream="stderr",
                                timeout=COMMAND_TIMEOUT)
    assert fwd.proc.alive(), fwd.proc.report()


@pytest.mark.parametrize("command", [["connect", "lab", "web"], ["ls"]], ids=["connect", "ls"])
def test_relay_unreachable(burrow, command, reserve_port):
    result = burrow(command[0], "--relay", f"127.0.0.1:{reserve_port()}", *command[1:],
                    input=b"")
    assert result.returncode != 0, describe(result)
    assert any("relay" in l and ("refused" in l or "unreachable" in l)
               for l in error_lines(result)), describe(result)


def test_not_a_relay_that_hangs_up_is_named(burrow):
    """A server that reads the TLS hello and closes cleanly (not a burrow
    relay, or one shedding load) is reported as such, not as an OpenSSL
    error code."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def hang_up():
            conn, _ = server.accept()
            with conn:
                conn.recv(65536)
                conn.shutdown(socket.SHUT_WR)
                conn.recv(65536)

        thread = threading.Thread(target=hang_up, daemon=True)
        thread.start()
        result = burrow("ls", "--relay", f"127.0.0.1:{port}", input=b"")
        thread.join(COMMAND_TIMEOUT)
    assert result.returncode != 0, describe(result)
    assert any("tls handshake failed: the peer closed the connection" in l
               for l in error_lines(result)), describe(result)


def test_forward_port_in_use(relay, lab_web, burrow):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = burrow("forward", *relay.args, "-L", f"127.0.0.1:{port}:lab:web")
    assert result.returncode != 0, describe(result)
    assert any("in use" in l for l in error_lines(result)), describe(result)


@pytest.mark.parametrize("spec", ["nonsense", "8080:lab", "notaport:lab:web"])
def test_bad_forward_spec(relay, burrow, spec):
    result = burrow("forward", *relay.args, "-L", spec)
    assert result.returncode == 2, describe(result)
    assert "-L" in result.stderr.decode(), describe(result)


CONFIG_ERRORS = [
    ("relay", "relay.toml", '# relay\nlisten = "127.0.0.1:0"\nthis is not toml\n', []),
    ("relay", "relay.toml", '# relay\nlisten = "127.0.0.1:0"\ncolour = "blue"\n', []),
    ("endpoint", "endpoint.toml",
     'name = "lab"\nrelay = "127.0.0.1:1"\ncolour = "blue"\n[services]\nweb = "127.0.0.1:1"\n', []),
    ("endpoint", "endpoint.toml",
     'name = "lab"\nrelay = "127.0.0.1:1"\n[services\nweb = "127.0.0.1:1"\n', []),
    ("forward", "client.toml", '# client\n\nrelay = 127.0.0.1:1\n', ["-L", "0:lab:web"]),
    ("connect", "client.toml", '# client\nrelay = "127.0.0.1:1"\ncolour = "blue"\n',
     ["lab", "web"]),
]


@pytest.mark.parametrize("role,filename,text,extra", CONFIG_ERRORS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CONFIG_ERRORS)])
def test_config_error_names_file_and_line(burrow, tmp_path, role, filename, text, extra):
    path = tmp_path / filename
    path.write_text(text)
    result = burrow(role, "-c", path, *extra, input=b"")
    assert result.returncode != 0, describe(result)
    assert any(filename in l and re.search(r"(:3\b|line 3\b)", l)
               for l in error_lines(result)), describe(result)
