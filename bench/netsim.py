"""A network between the client and the sandbox: every byte waits half a round trip each way.

The sandbox's latency setting delays each *request*; a real network also delays what comes before
the first request on a connection: the TCP handshake (one round trip) and the TLS handshake (one
more with TLS 1.3). This proxy, on 127.0.0.1, forwards each chunk after RTT/2 in its direction
(order kept) and holds a new connection's first chunk one RTT longer (the TCP handshake the
loopback skips). It runs as its own process (``python -m bench.netsim --upstream-port P
--rtt-ms R`` prints its port), so its work is not charged to the client being measured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import subprocess

from .child import start_child, stop_child

__all__ = ["DelayProxy"]

_CHUNK = 1 << 16


class DelayProxy:
    """`with DelayProxy(upstream_port, rtt_ms) as port:` clients connect to 127.0.0.1:`port`."""

    def __init__(self, upstream_port: int, rtt_ms: float) -> None:
        self.args = ["--upstream-port", str(upstream_port), "--rtt-ms", str(rtt_ms)]
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> int:
        self.proc, line = start_child("bench.netsim", *self.args)
        return int(line)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            stop_child(self.proc)


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float, first_extra: float
) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        with contextlib.suppress(OSError):
            writer.close()

    delivering = asyncio.create_task(deliver())
    extra = first_extra
    try:
        while True:
            data = await reader.read(_CHUNK)
            queue.put_nowait((loop.time() + delay_s + extra, data))
            extra = 0.0
            if not data:
                break
    except OSError:
        queue.put_nowait((loop.time(), b""))
    with contextlib.suppress(OSError):
        await delivering


async def _serve(upstream_port: int, rtt_s: float) -> None:
    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            _pipe(client_reader, up_writer, rtt_s / 2, first_extra=rtt_s),
            _pipe(up_reader, client_writer, rtt_s / 2, first_extra=0.0),
        )

    # IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP (bench/upstream.py).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = await asyncio.start_server(handle, sock=sock, backlog=256)
    print(sock.getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.netsim")
    p.add_argument("--upstream-port", type=int, required=True)
    p.add_argument("--rtt-ms", type=float, required=True)
    args = p.parse_args(argv)
    asyncio.run(_serve(args.upstream_port, args.rtt_ms / 1000))


if __name__ == "__main__":
    main()
