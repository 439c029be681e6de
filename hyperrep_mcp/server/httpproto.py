"""uvicorn's HTTP/1.1 protocol with a deadline for each request's line and headers.

uvicorn closes an idle keep-alive connection (after 5 s) but sets no deadline for a request that
trickles in: a slowloris client holding 1,000 half-sent requests keeps 1,000 connections open for
as long as it likes, before any authentication could run (the bearer token is a header). Here a
request's line and headers must be complete within `HEADER_TIMEOUT_S` of the connection opening,
or of the previous response ending; otherwise the server closes the connection (with a 408 when
it is the connection's first request).
Passed to uvicorn as its `http` protocol class (a documented option), so it also reaches workers.
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
        self._await_next_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._await_next_request()

    def _await_next_request(self) -> None:
        # A new request replaces `cycle` as soon as its headers are parsed; the same cycle still
        # there at the deadline means the next request's headers never completed.
        waiting_after = self.cycle
        transport = self.transport

        def expire() -> None:
            if self.cycle is waiting_after and not transport.is_closing():
                if waiting_after is None:
                    # the first request: say why. Between requests, close quietly as uvicorn's own
                    # keep-alive timeout does, so a client reusing an idle connection sees a plain close.
                    transport.write(_TIMED_OUT)
                transport.close()

        self.loop.call_later(self.header_timeout, expire)
