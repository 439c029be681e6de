"""The header deadline (httpproto.py) against real uvicorn over real sockets, and the contract it
relies on: uvicorn internals that are not public API, checked here so a change fails loudly."""

from __future__ import annotations

import socket
import time
from typing import Any, ClassVar

import anyio
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from hyperrep_mcp.server.httpproto import HeaderDeadlineH11Protocol
from tests.support import UvicornThread

DEADLINE = 1.0


class FastDeadline(HeaderDeadlineH11Protocol):
    header_timeout = DEADLINE
    seen: ClassVar[list[Any]] = []

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        FastDeadline.seen.append(self)
        super().connection_made(transport)


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    if scope["path"] == "/slow":  # a response that outlasts the header deadline, like an SSE stream
        for i in range(3):
            await send({"type": "http.response.body", "body": b"part%d;" % i, "more_body": True})
            await anyio.sleep(DEADLINE)
    await send({"type": "http.response.body", "body": b"done"})


def server() -> UvicornThread:
    return UvicornThread(app, http=FastDeadline)


def read_until_closed(sock: socket.socket, limit_s: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection (or `limit_s` passes)."""
    started, data = time.monotonic(), b""
    sock.settimeout(0.2)
    while time.monotonic() - started < limit_s:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data, time.monotonic() - started


def test_pipelined_requests_are_answered_in_full():
    """A request pipelined behind another is not a request waiting for its headers: its response
    (here one lasting three header deadlines) is not cut off."""
    with server() as srv:
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        sock.sendall(
            b"GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        )
        data, _ = read_until_closed(sock, 3 * DEADLINE + 1.5)
        sock.close()
    assert data.count(b"HTTP/1.1 200") == 2, data
    assert b"part0;" in data and b"part2;" in data and data.endswith(b"done\r\n0\r\n\r\n"), data[-200:]


def test_a_half_sent_first_request_gets_408_within_the_deadline():
    with server() as srv:
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        sock.sendall(b"GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        data, waited = read_until_closed(sock, DEADLINE + 3)
        sock.close()
    assert data.startswith(b"HTTP/1.1 408"), data
    assert DEADLINE * 0.9 < waited < DEADLINE + 2, waited


def test_a_trickled_second_request_is_closed_quietly_after_the_deadline():
    """uvicorn's keep-alive timer stops at the first byte; the deadline does not."""
    with server() as srv:
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        sock.sendall(b"GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        time.sleep(0.3)
        first = sock.recv(65536)
        sock.sendall(b"GET /fast HTTP/1.1\r\n")  # the next request's line, then nothing
        data, waited = read_until_closed(sock, DEADLINE + 3)
        sock.close()
    assert first.startswith(b"HTTP/1.1 200") and data == b"", data
    assert waited < DEADLINE + 1, waited


def test_the_uvicorn_internals_it_relies_on_are_still_there():
    """Not public API (uvicorn documents --http auto|h11|httptools only): if a uvicorn release
    renames these, this fails instead of the deadline silently stopping to work. pyproject.toml
    pins uvicorn to the minor tested here."""
    assert uvicorn.__version__.startswith("0.55."), uvicorn.__version__
    for hook in ("connection_made", "on_response_complete"):
        assert callable(vars(H11Protocol).get(hook)), hook
    FastDeadline.seen.clear()
    with server() as srv:
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        sock.sendall(b"GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        read_until_closed(sock, 0.5)
        protocol = FastDeadline.seen[-1]
        assert protocol.cycle is not None and protocol.cycle.response_complete
        assert protocol.transport is not None and not protocol.transport.is_closing()
        assert callable(protocol.loop.call_later)
        sock.close()
