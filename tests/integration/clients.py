"""Client-side checks shared by the tests: each one does a full exchange with
a service through burrow and fails with the evidence if a byte is wrong."""
import asyncio
import hashlib
import os
import secrets
import socket

import websockets

from conftest import COMMAND_TIMEOUT, describe, recv_all, run, sha256_file


def curl_check(env, port, name, expected_sha256):
    result = run(["curl", "-sS", "--max-time", str(COMMAND_TIMEOUT),
                  f"http://127.0.0.1:{port}/{name}"], env)
    assert result.returncode == 0, describe(result)
    got = hashlib.sha256(result.stdout).hexdigest()
    assert got == expected_sha256, f"{name}: sha256 {got} != {expected_sha256}, " \
                                   f"{len(result.stdout)} bytes received"


def ssh_echo_check(env, sshd, relay=None, port=None):
    token = secrets.token_hex(8)
    result = run(sshd.ssh_argv(f"echo hello-{token}", relay=relay, port=port), env)
    assert result.returncode == 0, describe(result)
    assert result.stdout == f"hello-{token}\n".encode(), describe(result)


def scp_check(env, sshd, src, dst, written, expected_sha256, relay=None, port=None):
    """scp src dst; `written` is the file that scp creates (sshd runs locally)."""
    result = run(sshd.scp_argv(src, dst, relay=relay, port=port), env, timeout=600)
    assert result.returncode == 0, describe(result)
    got = sha256_file(written)
    assert got == expected_sha256, f"scp {src} -> {dst}: sha256 {got} != {expected_sha256}"


def ws_echo_check(port, messages=None):
    """Send each message over one WebSocket and expect it back unchanged."""
    if messages is None:
        messages = ["hello", b"\x00\xff" * 10, "x" * 70000, os.urandom(1024 * 1024)]

    async def exchange():
        async with websockets.connect(f"ws://127.0.0.1:{port}/", max_size=None,
                                      compression=None, open_timeout=COMMAND_TIMEOUT,
                                      close_timeout=10) as ws:
            for i, message in enumerate(messages):
                await ws.send(message)
                echoed = await asyncio.wait_for(ws.recv(), COMMAND_TIMEOUT)
                assert type(echoed) is type(message), f"message {i}: type changed"
                assert echoed == message, f"message {i}: {len(message)} bytes sent, " \
                                          f"{len(echoed)} different bytes echoed"

    asyncio.run(asyncio.wait_for(exchange(), 3 * COMMAND_TIMEOUT))


def digest_reply(data):
    return f"{hashlib.sha256(data).hexdigest()} {len(data)}\n".encode()


def digest_check(port, data):
    """Send data, half-close, and read the digest server's reply to EOF."""
    with socket.create_connection(("127.0.0.1", port), timeout=COMMAND_TIMEOUT) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        reply = recv_all(s)
    assert reply == digest_reply(data), f"reply {reply!r} for {len(data)} bytes sent"


def marker_traffic():
    """A random marker, an HTTP page of 2,000 lines that hold it (its name
    and body) and 2,000 lines holding it to send up: (marker, page, body, up)."""
    marker = f"burrow-marker-{secrets.token_hex(20)}".encode()
    page = f"marker-{secrets.token_hex(6)}.txt"
    body = b"".join(b"%d down " % i + marker + b"\n" for i in range(2000))
    up = b"".join(marker + b" up %d\n" % i for i in range(2000))
    return marker, page, body, up


def write_endpoint_config(path, relay_addr, relay_key, services, e2e=True):
    """An endpoint.toml for "lab" with `services` (name -> address), each
    end-to-end encrypted or each `e2e = false`."""
    def service(addr):
        return f'"{addr}"' if e2e else f'{{ address = "{addr}", e2e = false }}'
    lines = "".join(f"{name} = {service(addr)}\n" for name, addr in services.items())
    path.write_text(f'name = "lab"\nrelay = "{relay_addr}"\nrelay_key = "{relay_key}"\n\n[services]\n{lines}')
    return path

