"""TCP service that says how each connection ended, for the tests of cut-short streams.

Every connection is numbered from 1 in accept order. The service reads what
arrives and checks it against pattern() (what the tests send), and may send
pattern() bytes itself. It prints one line per event:

  listening on 127.0.0.1:PORT
  sent K S done|stalled|error    it stops sending: S bytes went into send()
  rst K                          it reset connection K (SO_LINGER 0 close)
  end K eof|reset N intact|altered
                                 connection K's input ended: a clean end of
                                 stream or a reset, after N bytes, which are
                                 (or are not) the first N bytes of pattern()

Options: --send N sends up to N bytes on each connection; --echo sends back
what it read instead (as pattern bytes: the same bytes while they are
intact), so a client that got its bytes back knows they arrived; --stall S
stops sending when the connection took no byte for S seconds (the path is
full); --then rst|fin|hold says what follows the sending: a reset, a
half-close (FIN, reading goes on), or nothing.
"""
import argparse
import random
import select
import socket
import socketserver
import struct
import sys
import threading
import time

_BLOCK = random.Random(20240607).randbytes(1048573)  # a prime length: a lost whole block still shows
_TWICE = _BLOCK + _BLOCK
_lock = threading.Lock()
_count = 0


def pattern_at(offset, n):
    """Bytes offset .. offset+n of the endless pattern (n at most one block)."""
    start = offset % len(_BLOCK)
    return _TWICE[start:start + n]


def pattern(n):
    reps, rest = divmod(n, len(_BLOCK))
    return _BLOCK * reps + _BLOCK[:rest]


def say(line):
    with _lock:
        print(line, flush=True)


def reset_close(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        global _count
        with _lock:
            _count += 1
            k = _count
        opts = self.server.opts
        sock = self.request
        sock.setblocking(False)
        reading, sending = True, opts.send > 0 or opts.echo
        got, sent, intact = 0, 0, True
        # A reset is reported once, to whichever call comes first: a send that
        # gets it leaves the next recv an end of stream that was not one.
        was_reset = False
        progress = time.monotonic()

        def stop_sending(why):
            nonlocal sending
            sending = False
            say(f"sent {k} {sent} {why}")
            if why == "error":
                return False
            if opts.then == "rst":
                reset_close(sock)
                say(f"rst {k}")
                return True
            if opts.then == "fin":
                try:
                    sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
            return False

        while reading or sending:
            limit = got if opts.echo else opts.send
            if opts.echo and not reading and sent == got:
                stop_sending("done")
                continue
            writing = sending and sent < limit
            readable, writable, _ = select.select([sock] if reading else [], [sock] if writing else [], [], 0.1)
            if readable:
                try:
                    chunk = sock.recv(65536)
                except BlockingIOError:
                    chunk = None
                except OSError:
                    say(f"end {k} reset {got} {'intact' if intact else 'altered'}")
                    reading = False
                    chunk = None
                if chunk == b"":
                    say(f"end {k} {'reset' if was_reset else 'eof'} {got} {'intact' if intact else 'altered'}")
                    reading = False
                elif chunk:
                    intact = intact and chunk == pattern_at(got, len(chunk))
                    got += len(chunk)
            if writing and writable:
                try:
                    n = sock.send(pattern_at(sent, min(65536, limit - sent)))
                except BlockingIOError:
                    n = 0
                except OSError as e:
                    was_reset = was_reset or isinstance(e, ConnectionResetError)
                    stop_sending("error")
                    continue
                sent += n
                if n:
                    progress = time.monotonic()
                if not opts.echo and sent == opts.send and stop_sending("done"):
                    return
            if writing and opts.stall and time.monotonic() - progress > opts.stall:
                if stop_sending("stalled"):
                    return


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--send", type=int, default=0)
    parser.add_argument("--echo", action="store_true")
    parser.add_argument("--stall", type=float, default=0)
    parser.add_argument("--then", choices=["rst", "fin", "hold"], default="hold")
    opts = parser.parse_args()
    with Server(("127.0.0.1", 0), Handler) as server:
        server.opts = opts
        print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
