#!/usr/bin/python3
"""Writes the seed corpus of mux_fuzz to tests/fuzz/corpus/mux/.

Each seed is the mode byte of mux_fuzz.cpp followed by frames a peer sends
(docs/PROTOCOL.md). Run again after a wire change.
"""
import pathlib
import struct

OUT = pathlib.Path(__file__).resolve().parent / "corpus" / "mux"

HELLO, OPEN, ACCEPT, REJECT, DATA, WINDOW, RESET, PING, GOAWAY, CONTROL = range(10)
FIN = ACK = 0x01

READER, ACCEPTOR, RAW_ACCEPTOR, INITIATOR = 0, 1, 2, 3
BYTEWISE = 1 << 2
CHUNK5 = 4 << 2
SMALL = 0x20
NO_READ = 0x40
REACT = 0x80


def frame(kind, stream=0, payload=b"", flags=0):
    return struct.pack(">BBII", kind, flags, stream, len(payload)) + payload


def hello(session_window=64 * 1024, max_payload=16 * 1024):
    return frame(HELLO, 0, struct.pack(">HHII", 1, 1, session_window, max_payload))


def open_(stream, target=b"lab/ssh", window=4096, key=None):
    key_part = bytes([len(key)]) + key if key else b"\x00"
    return frame(OPEN, stream, struct.pack(">I", window) + key_part + target)


def accept(stream, window=4096):
    return frame(ACCEPT, stream, struct.pack(">I", window) + b"\x00")


def coded(kind, stream, code, reason=b""):
    return frame(kind, stream, struct.pack(">H", code) + reason)


def data(stream, payload, fin=False):
    return frame(DATA, stream, payload, FIN if fin else 0)


def window(stream, increment):
    return frame(WINDOW, stream, struct.pack(">I", increment))


def ping(value, ack=False):
    return frame(PING, 0, struct.pack(">Q", value), ACK if ack else 0)


def str16(s):
    return struct.pack(">H", len(s)) + s


def control_register(name, services):
    body = b"\x01" + str16(name) + struct.pack(">H", len(services)) + b"".join(str16(s) for s in services)
    return frame(CONTROL, 0, body)


def control_list_request():
    return frame(CONTROL, 0, b"\x03")


def control_list_reply(entries):
    body = b"\x04" + struct.pack(">H", len(entries))
    for name, services in entries:
        body += str16(name) + struct.pack(">H", len(services)) + b"".join(str16(s) for s in services)
    return frame(CONTROL, 0, body)


def control_check_request(targets):
    return frame(CONTROL, 0, b"\x07" + struct.pack(">H", len(targets)) + b"".join(str16(t) for t in targets))


def control_check_reply(results):
    body = b"\x08" + struct.pack(">H", len(results))
    for status, names in results:
        body += bytes([status]) + struct.pack(">H", len(names)) + b"".join(str16(n) for n in names)
    return frame(CONTROL, 0, body)


def control_direct(candidates):
    info = b"\x0f" + struct.pack(">H", len(candidates)) + b"".join(str16(c) for c in candidates)
    reply = b"\x11" + str16(b"gpu") + bytes(range(32)) + struct.pack(">H", len(candidates))
    reply += b"".join(str16(c) for c in candidates)
    return frame(CONTROL, 0, info) + frame(CONTROL, 0, b"\x10" + str16(b"gpu")) + frame(CONTROL, 0, reply)


SEEDS = {
    "hello": bytes([RAW_ACCEPTOR]) + hello(),
    "hello_open": bytes([RAW_ACCEPTOR | REACT]) + hello() + open_(1),
    "open_data_fin": bytes([ACCEPTOR | REACT]) + open_(1) + data(1, b"SSH-2.0-burrow\r\n") + data(1, b"", fin=True),
    "open_data_fin_bytewise": bytes([ACCEPTOR | REACT | BYTEWISE]) + open_(1) + data(1, b"hello") + data(1, b"!", True),
    "open_with_key": bytes([ACCEPTOR | REACT]) + open_(1, key=bytes(range(32))) + data(1, b"x"),
    "ping_pong": bytes([ACCEPTOR]) + ping(0x0102030405060708) + ping(42, ack=True),
    "control_register": bytes([ACCEPTOR | REACT])
    + control_register(b"lab", [b"ssh", b"web"])
    + control_list_request()
    + control_list_reply([(b"lab", [b"ssh"]), (b"gpu", [])]),
    "control_check": bytes([ACCEPTOR | REACT])
    + control_check_request([b"gpu/ssh", b"localhost/8888"])
    + control_check_reply([(0, []), (2, [b"gpu"]), (3, [b"ssh", b"jupyter"])]),
    "control_direct": bytes([ACCEPTOR | REACT]) + control_direct([b"11.77.0.2:40001", b"[2001:db8::1]:7444"]),
    "reader_all_types": bytes([READER | CHUNK5])
    + hello()
    + open_(1)
    + accept(1)
    + coded(REJECT, 3, 11, b"down")
    + data(1, b"abc", True)
    + window(0, 1000)
    + coded(RESET, 1, 12)
    + ping(7)
    + coded(GOAWAY, 0, 18, b"bye")
    + control_register(b"lab", [b"ssh"]),
    "stream_credit_exceeded": bytes([ACCEPTOR | REACT | SMALL])
    + open_(1)
    + open_(3)
    + data(1, b"\x00" * 1000)
    + data(1, b"\x01" * 1000)
    + data(1, b"\x02" * 1000)
    + data(1, b"\x03" * 1000)
    + data(1, b"\x04" * 200)
    + data(3, b"ok"),
    "window_reset_goaway": bytes([ACCEPTOR | REACT])
    + open_(1)
    + window(1, 5000)
    + window(0, 5000)
    + coded(RESET, 1, 12, b"cancelled")
    + data(1, b"late")
    + coded(GOAWAY, 0, 18, b"draining"),
    "accept_own_stream": bytes([ACCEPTOR | REACT]) + accept(2, 8192) + data(2, b"reply") + window(2, 100) + data(2, b"", True),
    "reject_own_stream": bytes([ACCEPTOR | REACT]) + coded(REJECT, 2, 10, b"no such service"),
    "initiator": bytes([INITIATOR | REACT]) + open_(2) + accept(1) + data(1, b"hi") + data(2, b"there", True),
    "ping_flood_unread": bytes([ACCEPTOR | SMALL | NO_READ]) + b"".join(ping(i) for i in range(200)),
}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    for name, blob in SEEDS.items():
        (OUT / name).write_bytes(blob)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")


if __name__ == "__main__":
    main()
