"""TCP service that reads until EOF, then replies and closes.

The reply is `<sha256 hex of everything read> <byte count>\n`, so a client can
only get it after its half-close (FIN) has travelled the whole way.
Prints `listening on 127.0.0.1:PORT` once ready.
"""
import hashlib
import socketserver


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        digest, count = hashlib.sha256(), 0
        while chunk := self.request.recv(65536):
            digest.update(chunk)
            count += len(chunk)
        self.request.sendall(f"{digest.hexdigest()} {count}\n".encode())


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    with Server(("127.0.0.1", 0), Handler) as server:
        print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
        server.serve_forever()
