"""How each fault kind looks on the wire (raw ASGI, so a connection can be cut mid-response)."""

from __future__ import annotations

import json
import logging

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from hyperrep_mcp.sandbox.errors import Messages
from hyperrep_mcp.sandbox.faults import Fault

_STATUS_DETAIL = {
    500: Messages.INTERNAL_ERROR,
    502: Messages.BAD_GATEWAY,
    503: Messages.SERVICE_UNAVAILABLE,
    504: Messages.GATEWAY_TIMEOUT,
}

_LB_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


class DroppedConnection(ConnectionResetError):
    """Raised after a partial response so the server aborts the connection.

    Over TCP, uvicorn closes the socket and the client sees an incomplete response (a transport
    error such as ``RemoteProtocolError``). In-process transports (``TestClient``, an ASGI
    transport) re-raise it; it is a ``ConnectionResetError`` so client code can treat both alike.
    """


class _HideDroppedConnections(logging.Filter):
    """A "drop" fault aborts the response on purpose; uvicorn should not log it as a crash."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


def quiet_server_logs() -> None:
    """Install the filter on uvicorn's error logger (plain ``logging``: no uvicorn import)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideDroppedConnections) for f in logger.filters):
        logger.addFilter(_HideDroppedConnections())


async def send_bytes(
    send: Send, status: int, body: bytes, content_type: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


async def send_json(
    send: Send, status: int, payload: object, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send_bytes(send, status, json.dumps(payload).encode(), "application/json", extra)


async def send_status(send: Send, fault: Fault) -> None:
    status = int(fault.param("status", 500))
    await send_json(send, status, {"detail": _STATUS_DETAIL.get(status, Messages.INTERNAL_ERROR)})


async def drop(send: Send) -> None:
    """Promise 512 bytes, deliver a few, then abort."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"512")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"data": [', "more_body": True})
    raise DroppedConnection("sandbox fault: connection dropped")


async def swallow(app: ASGIApp, scope: Scope, receive: Receive) -> None:
    """Run ``app`` to completion (so a write commits) and discard what it answered."""

    async def discard(message: dict) -> None:
        return None

    await app(scope, receive, discard)


async def apply(fault: Fault, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer the request according to ``fault`` (``app`` runs only where the kind says so)."""
    kind = fault.kind
    if kind == "status":
        await send_status(send, fault)
    elif kind == "rate_limit":
        retry_after = str(fault.param("retry_after", "1")).encode()
        await send_json(send, 429, {"detail": Messages.TOO_MANY_REQUESTS}, [(b"retry-after", retry_after)])
    elif kind == "slow":
        await anyio.sleep(float(fault.param("delay_s", 5.0)))
        await app(scope, receive, send)
    elif kind == "drop":
        await drop(send)
    elif kind == "malformed":
        await send_bytes(send, 200, b'{"data": [{"conversation_id": "gAAAAAB', "application/json")
    elif kind == "html_error":
        await send_bytes(send, 502, _LB_PAGE, "text/html")
    elif kind == "commit_then_fail":
        await swallow(app, scope, receive)
        if fault.param("then", "status") == "drop":
            await drop(send)
        else:
            await send_status(send, Fault("status", {"status": fault.param("status", 500)}))
    else:  # pragma: no cover - FaultPlan.script validates kinds
        raise ValueError(kind)
