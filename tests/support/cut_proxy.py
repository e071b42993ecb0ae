"""A TCP proxy whose connections can be cut on demand, to break burrow's
transports the way a NAT rebinding or a dropped Wi-Fi does.

    cut_proxy.py TARGET_HOST:TARGET_PORT [CAPTURE_FILE]
                                              prints "listening on 127.0.0.1:PORT";
                                              appends every byte it passes, both
                                              ways, to CAPTURE_FILE if given
    SIGUSR1: reset every open connection (RST both ways); new ones are served.
    SIGUSR2: toggle refusing new connections (an outage that lasts).
    SIGHUP: flip the low bit of the last byte of the next chunk sent to the
            target (bytes altered on the way).
"""
import selectors
import signal
import socket
import struct
import sys

host, port = sys.argv[1].rsplit(":", 1)
target = (host, int(port))
capture = open(sys.argv[2], "ab", buffering=0) if len(sys.argv) > 2 else None
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print(f"listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)

sel = selectors.DefaultSelector()
sel.register(listener, selectors.EVENT_READ)
peers = {}  # socket -> its other end
state = {"cut": False, "refuse": False, "flip": False}
upstream = set()  # sockets connected to the target


def on_usr1(*_):
    state["cut"] = True


def on_usr2(*_):
    state["refuse"] = not state["refuse"]


def on_hup(*_):
    state["flip"] = True


signal.signal(signal.SIGUSR1, on_usr1)
signal.signal(signal.SIGUSR2, on_usr2)
signal.signal(signal.SIGHUP, on_hup)


def drop(sock, reset=False):
    other = peers.pop(sock, None)
    for s in (sock, other):
        if s is None or s.fileno() == -1:
            continue
        peers.pop(s, None)
        upstream.discard(s)
        try:
            sel.unregister(s)
        except (KeyError, ValueError):
            pass
        if reset:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()


while True:
    for key, _ in sel.select(timeout=0.1):
        sock = key.fileobj
        if sock is listener:
            conn, _ = listener.accept()
            if state["refuse"]:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                continue
            try:
                up = socket.create_connection(target)
            except OSError:
                conn.close()
                continue
            peers[conn], peers[up] = up, conn
            upstream.add(up)
            sel.register(conn, selectors.EVENT_READ)
            sel.register(up, selectors.EVENT_READ)
            continue
        if sock not in peers:
            continue
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            drop(sock)
            continue
        if state["flip"] and peers[sock] in upstream:
            state["flip"] = False
            data = data[:-1] + bytes([data[-1] ^ 1])
            print(f"flipped a bit of byte {len(data) - 1} of a {len(data)}-byte chunk", flush=True)
        if capture:
            capture.write(data)
        try:
            peers[sock].sendall(data)
        except OSError:
            drop(sock)
    if state["cut"]:
        state["cut"] = False
        for s in list(peers):
            drop(s, reset=True)
