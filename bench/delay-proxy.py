#!/usr/bin/python3
"""A TCP proxy that slows a connection down, for bench/bench-load.py.

Listens on 127.0.0.1:LISTEN and, for every connection, opens one to
127.0.0.1:TARGET and copies the bytes both ways unchanged (TLS passes
through untouched). Every chunk read from one side is written to the
other side DELAY ms after it was read: a one-way latency per direction,
so a round trip costs 2 x DELAY. The order of the chunks is kept and
reading goes on while earlier chunks wait (no extra limit on bandwidth).

On SIGTERM it prints one line: connections, bytes each way, and exits.
Stdlib only (asyncio).
"""

import argparse
import asyncio
import signal
import sys

stats = {"conns": 0, "up": 0, "down": 0, "max_open": 0, "open": 0}


async def pump(reader, writer, delay, key):
    """Copy reader -> writer, every chunk `delay` s after it was read."""
    loop = asyncio.get_running_loop()
    q = asyncio.Queue()

    async def rx():
        while True:
            try:
                data = await reader.read(65536)
            except (ConnectionError, OSError):
                data = b""
            q.put_nowait((loop.time() + delay, data))
            if not data:
                return

    async def tx():
        while True:
            due, data = await q.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                break
            stats[key] += len(data)
            try:
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError):
                break
        try:
            writer.close()
        except (ConnectionError, OSError):
            pass

    r = asyncio.ensure_future(rx())
    await tx()
    r.cancel()


async def handle(client_r, client_w, target, delay):
    stats["conns"] += 1
    stats["open"] += 1
    stats["max_open"] = max(stats["max_open"], stats["open"])
    try:
        try:
            server_r, server_w = await asyncio.open_connection(
                "127.0.0.1", target)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(pump(client_r, server_w, delay, "up"),
                             pump(server_r, client_w, delay, "down"))
    finally:
        stats["open"] -= 1


async def main(a):
    delay = a.delay_ms / 1000.0
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, a.target, delay), "127.0.0.1", a.listen)
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(
        signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
    async with server:
        await stop
    print("connections %d max_open %d bytes_up %d bytes_down %d" % (
        stats["conns"], stats["max_open"], stats["up"], stats["down"]),
        flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--target", type=int, required=True)
    ap.add_argument("--delay-ms", type=float, default=5.0)
    args = ap.parse_args()
    try:
        asyncio.run(main(args))
    except KeyboardInterrupt:
        sys.exit(1)
