"""The request body of `POST /mcp`, read once under a deadline and a nesting bound, on every bind.

Installed whatever the rate limit (which is off on loopback binds and with
HYPERREP_MCP_RATE_LIMIT=0): a body that trickles in (one byte every two seconds) gets 408 after
`BODY_TIMEOUT_S` instead of holding the connection for ever; a JSON body nesting deeper than
`MAX_JSON_DEPTH` gets a clear 400 instead of a RecursionError somewhere in the SDK; a client that
disconnects mid-body is dropped quietly (no ClientDisconnect traceback in the log). The body is
then replayed to the app unchanged, and the parsed JSON is left in the scope under `PARSED_BODY`
for the rate limiter, which only counts.

A body larger than `max_body` is passed on unparsed for the SDK to refuse (413).
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No MCP message nests anywhere near this deep; Python's JSON parser gives up (RecursionError) at
# about 1,000 levels, which a 1 MB body reaches easily.
MAX_JSON_DEPTH = 64
BODY_TIMEOUT_S = 10.0  # an MCP message is small: one that trickles in only holds a connection
PARSE_ERROR = -32700
PARSED_BODY = "hyperrep_mcp.parsed_body"  # scope key: the body's JSON, or None when not JSON / too large


class TooDeep(ValueError):
    """The JSON body nests deeper than MAX_JSON_DEPTH."""


class Disconnected(Exception):
    """The client went away before its body was complete."""


class BodyGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str = "/mcp",
        max_body: int = 1024 * 1024,
        body_timeout: float = BODY_TIMEOUT_S,
    ) -> None:
        self.app = app
        self.path = path
        self.max_body = max_body
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        try:
            with anyio.fail_after(self.body_timeout):
                body, complete = await _read(receive, self.max_body)
        except TimeoutError:
            await respond(send, 408, error(None, PARSE_ERROR, "The request body did not arrive in time."))
            return
        except Disconnected:
            return  # nobody to answer
        try:
            parsed = parse(body) if complete else None
        except TooDeep:
            message = f"The JSON body nests more than {MAX_JSON_DEPTH} levels deep; no MCP message does."
            await respond(send, 400, error(None, PARSE_ERROR, message))
            return
        await self.app({**scope, PARSED_BODY: parsed}, _replayer(body, complete, receive), send)


async def _read(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The request body (complete), or its first `limit`+ bytes (not complete) when larger."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise Disconnected
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > limit:
            return b"".join(chunks), False


def _replayer(body: bytes, complete: bool, receive: Receive) -> Receive:
    queue: list[Message] = [{"type": "http.request", "body": body, "more_body": not complete}]

    async def replay() -> Message:
        return queue.pop(0) if queue else await receive()

    return replay


def parse(body: bytes) -> Any:
    """The body's JSON (None when it is not JSON: the SDK answers that); TooDeep past the bound."""
    try:
        payload = json.loads(body)
    except RecursionError:
        raise TooDeep from None
    except ValueError:
        return None
    if _depth_exceeds(payload, MAX_JSON_DEPTH):
        raise TooDeep
    return payload


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than `limit` (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


async def respond(
    send: Send, status: int, payload: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                *(headers or []),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
