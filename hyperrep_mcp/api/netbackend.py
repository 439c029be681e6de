"""httpcore2's sockets on asyncio streams: the same HTTP stack, a cheaper layer under it.

httpcore2 reaches sockets through anyio by default. On asyncio that layer costs more than the
HTTP work itself when requests run concurrently: the connection pool asks every connection
whether it is readable each time it hands out a request, and each anyio answer builds a fresh
dict of socket attributes (measurements: bench/RESULTS.md). h11, the pool, keep-alive,
timeouts and the httpx2 API above are unchanged; only connect/read/write/TLS are asyncio's own.

Outside asyncio (trio), the anyio backend is used as before. `install` also tells the pool when
the API turns down HTTP/2 at the TLS handshake, so that it stops queueing requests for it.
"""

# The `timeout` parameters are httpcore2's backend interface, not ours to change.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpcore2
from httpcore2._backends.anyio import AnyIOBackend
from httpcore2._backends.base import SOCKET_OPTION, AsyncNetworkBackend, AsyncNetworkStream
from httpcore2._utils import is_socket_readable

__all__ = ["AsyncioBackend", "install"]

# Big reads: a response body arrives in as few chunks as the kernel allows.
_STREAM_LIMIT = 1 << 20


@contextlib.contextmanager
def _mapped(timeout_error: type[Exception], os_error: type[Exception]) -> Iterator[None]:
    """Raise what httpcore2 expects of a backend, so httpx2 maps it to its usual errors."""
    try:
        yield
    except TimeoutError as exc:
        # asyncio.timeout's has no errno; the kernel's ETIMEDOUT on a live connection is a broken
        # connection, not our deadline.
        error = timeout_error if exc.errno is None else os_error
        raise error(str(exc) or "timed out") from exc
    except (OSError, EOFError) as exc:  # ssl.SSLError is an OSError
        raise os_error(str(exc) or type(exc).__name__) from exc


class AsyncioStream(AsyncNetworkStream):
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_tls: Callable[[str | None], None] | None = None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._on_tls = on_tls

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _mapped(httpcore2.ReadTimeout, httpcore2.ReadError):
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        with _mapped(httpcore2.WriteTimeout, httpcore2.WriteError):
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()

    async def aclose(self) -> None:
        if self._writer.get_extra_info("ssl_object") is not None:
            # Like anyio's non-standard-compatible TLS close: no close_notify exchange that could
            # keep the socket open for the peer's answer (asyncio waits up to 30 s for it).
            self._writer.transport.abort()
        else:
            self._writer.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> AsyncNetworkStream:
        try:
            with _mapped(httpcore2.ConnectTimeout, httpcore2.ConnectError):
                async with asyncio.timeout(timeout):
                    await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except BaseException:
            self._writer.close()
            raise
        if self._on_tls is not None:
            ssl_object = self._writer.get_extra_info("ssl_object")
            self._on_tls(ssl_object.selected_alpn_protocol() if ssl_object is not None else None)
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # The stream reads eagerly: what an idle connection received (an unsolicited 408, the
            # server's EOF) is in the reader's buffer, not (only) on the socket. Either makes the
            # connection unfit for reuse, as a readable socket does for httpcore2.
            sock = self._writer.get_extra_info("socket")
            return (
                bool(getattr(self._reader, "_buffer", b""))
                or self._reader.at_eof()
                or self._writer.transport.is_closing()
                or is_socket_readable(sock)
            )
        if info in ("ssl_object", "socket"):
            return self._writer.get_extra_info(info)
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        return None


class AsyncioBackend(AsyncNetworkBackend):
    def __init__(self, on_tls: Callable[[str | None], None] | None = None) -> None:
        """`on_tls` hears the protocol each TLS handshake agreed (ALPN), before any request is sent."""
        self._fallback = AnyIOBackend()
        self._on_tls = on_tls

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> AsyncNetworkStream:
        if not _on_asyncio():
            return await self._fallback.connect_tcp(host, port, timeout, local_address, socket_options)
        options: dict[str, Any] = {}
        if type(asyncio.get_running_loop()).__module__.startswith("asyncio."):
            # A dead IPv6 route must not eat the connect timeout. The standard loop races the
            # addresses only when asked; uvloop (which uvicorn picks when installed) has no such
            # option and refuses it.
            options["happy_eyeballs_delay"] = 0.25
        with _mapped(httpcore2.ConnectTimeout, httpcore2.ConnectError):
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host,
                    port,
                    local_addr=(local_address, 0) if local_address else None,
                    limit=_STREAM_LIMIT,
                    **options,
                )
            try:
                sock = writer.get_extra_info("socket")
                for option in socket_options or ():  # asyncio already sets TCP_NODELAY
                    sock.setsockopt(*option)
            except BaseException:
                writer.transport.abort()
                raise
        return AsyncioStream(reader, writer, self._on_tls)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[SOCKET_OPTION] | None = None
    ) -> AsyncNetworkStream:
        return await self._fallback.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        if _on_asyncio():
            await asyncio.sleep(seconds)
        else:
            await self._fallback.sleep(seconds)


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def install(pool: object) -> bool:
    """Put the asyncio backend under an httpcore2 connection pool (httpx2's default transport
    keeps one as `_pool`). Returns False, changing nothing, if the pool is not one we know.

    A pool that offers HTTP/2 lets concurrent requests wait for a connection still being made, in
    the hope of sharing it. When the server answers HTTP/1.1 instead, each waiting request is turned
    away and tried again, and a pool still offering HTTP/2 would pile the rest onto the next new
    connection, and so on: 25 requests on 17-22 connections instead of 25. The first handshake that
    agrees on HTTP/1.1 therefore stops the offer for this pool (one origin: the API's).
    """
    if type(pool) is not httpcore2.AsyncConnectionPool or not hasattr(pool, "_network_backend"):
        return False
    on_tls = None
    if getattr(pool, "_http2", False):

        def on_tls(protocol: str | None) -> None:
            if protocol != "h2":
                pool._http2 = False

    pool._network_backend = AsyncioBackend(on_tls)
    return True
