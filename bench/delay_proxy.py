#!/usr/bin/env python3
"""A TCP proxy that delays every byte by a fixed time each way: a long path on loopback.

usage: delay_proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS
Listens on 127.0.0.1 only. Bytes are passed on DELAY_MS after they arrive;
the proxy itself buffers what is in flight, so the path's bandwidth is what
the two ends and this process can move, and its round trip is 2 x DELAY_MS.
"""
import asyncio
import sys
import time

LISTEN, HOST, PORT, DELAY = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) / 1000


async def pipe(reader, writer):
    queue = asyncio.Queue()

    async def take():
        while True:
            data = await reader.read(262144)
            await queue.put((time.monotonic() + DELAY, data))
            if not data:
                return

    async def give():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    await asyncio.gather(take(), give(), return_exceptions=True)


async def handle(client_reader, client_writer):
    target_reader, target_writer = await asyncio.open_connection(HOST, PORT)
    await asyncio.gather(pipe(client_reader, target_writer), pipe(target_reader, client_writer),
                         return_exceptions=True)


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", LISTEN)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
