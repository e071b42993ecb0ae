"""WebSocket echo server for the integration tests.

Usage: ws_echo.py [PORT]   (default 0: any free port)
Prints `listening on 127.0.0.1:PORT` once ready and echoes every message back.
"""
import asyncio
import sys

import websockets


async def echo(ws, _path=None):
    async for message in ws:
        await ws.send(message)


async def main(port):
    async with websockets.serve(echo, "127.0.0.1", port, max_size=None,
                                compression=None) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f"listening on 127.0.0.1:{bound}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
