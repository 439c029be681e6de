"""uvicorn's HTTP/1.1 protocol with a deadline for each request's line and headers.

uvicorn closes an idle keep-alive connection (after 5 s) but sets no deadline for a request that
trickles in: its keep-alive timer stops at the first byte, so a slowloris client holding 1,000
half-sent requests keeps 1,000 connections open for as long as it likes, before any authentication
could run (the bearer token is a header). Here a request's line and headers must be complete within
`HEADER_TIMEOUT_S` of the connection opening, or of the previous response ending; otherwise the
server closes the connection (with a 408 when it is the connection's first request).

Not a public uvicorn interface. uvicorn documents `--http auto|h11|httptools`; `uvicorn.Config`
also takes a protocol class, and this subclass relies on `H11Protocol` internals: the
`connection_made` and `on_response_complete` hooks and the `cycle`, `transport` and `loop`
attributes. No documented option gives the same protection (`timeout_keep_alive` stops at the
first byte; `limit_concurrency` answers 503 to everyone once slow connections fill it;
`h11_max_incomplete_event_size` bounds size, not time), so uvicorn is pinned to the tested minor
in pyproject.toml and tests/server/test_httpproto.py fails loudly when those hooks change. Behind
a reverse proxy, its own header timeout (nginx `client_header_timeout`) does the same job.

Only `serve --transport http` (and its workers) install it; an operator running
`uvicorn --factory hyperrep_mcp.assembly:http_app_from_env` by hand does not get it.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 5.0
_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class HeaderDeadlineH11Protocol(H11Protocol):
    header_timeout: float = HEADER_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_next_request(None)

    def on_response_complete(self) -> None:
        # Recorded before super(): uvicorn's on_response_complete already starts the next cycle
        # when a request was pipelined behind this one, and that request is not one still waiting
        # for its headers (uvicorn's own keep-alive timer is cancelled the same way).
        finished = self.cycle
        super().on_response_complete()
        self._await_next_request(finished)

    def _await_next_request(self, finished: object) -> None:
        # A new request replaces `cycle` as soon as its headers are parsed; the finished cycle (or
        # None, before the first request) still there at the deadline means they never completed.
        transport = self.transport

        def expire() -> None:
            if self.cycle is finished and not transport.is_closing():
                if finished is None:
                    # the first request: say why. Between requests, close quietly as uvicorn's own
                    # keep-alive timeout does, so a client reusing an idle connection sees a plain close.
                    transport.write(_TIMED_OUT)
                transport.close()

        self.loop.call_later(self.header_timeout, expire)
