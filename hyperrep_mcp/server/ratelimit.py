"""Per-client rate limit on tool calls for the HTTP transport (a token bucket per client address).

Only `tools/call` messages count: discovery, listings and pings stay free, so a throttled client can
still see what it may do. A refused call gets HTTP 429 with Retry-After and a JSON-RPC error that
says the limit and when to retry. Buckets are per process (like every cache here): N replicas admit
up to N times the limit in total.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_CLIENTS = 10_000  # buckets kept; the least recently seen client is forgotten first
RATE_LIMITED = -32029  # JSON-RPC server-error range
PARSE_ERROR = -32700
# No MCP message nests anywhere near this deep; Python's JSON parser gives up (RecursionError) at
# about 1,000 levels, which a 1 MB body reaches easily.
MAX_JSON_DEPTH = 64
BODY_TIMEOUT_S = 10.0  # a tool call's body is small: one that trickles in holds a connection


class TooDeep(ValueError):
    """The JSON body nests deeper than MAX_JSON_DEPTH."""


class ToolCallRateLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        per_minute: int,
        path: str = "/mcp",
        max_body: int = 1024 * 1024,
        body_timeout: float = BODY_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, per_minute / 6)  # a burst of ten seconds' worth
        self.path = path
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.clock = clock
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        with anyio.move_on_after(self.body_timeout) as reading:
            body, complete, pending = await _read(receive, self.max_body)
        if reading.cancelled_caught:
            await _respond(send, 408, _error(None, PARSE_ERROR, "The request body did not arrive in time."))
            return
        replay = _replayer(body, complete, pending, receive)
        try:
            calls, first_id = _tool_calls(body) if complete else (0, None)
        except TooDeep:
            message = f"The JSON body nests more than {MAX_JSON_DEPTH} levels deep; no MCP message does."
            await _respond(send, 400, _error(None, PARSE_ERROR, message))
            return
        if calls:
            wait = self._take(_client_key(scope), calls)
            if wait is not None:
                await _refuse(send, wait, self.per_minute, first_id)
                return
        await self.app(scope, replay, send)

    def _take(self, key: str, cost: int) -> float | None:
        """Spend `cost` tokens; None when allowed, else the seconds until enough tokens exist."""
        now = self.clock()
        tokens, updated = self.buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - updated) * self.rate)
        allowed = tokens >= cost
        if allowed:
            tokens -= cost
        self.buckets[key] = (tokens, now)
        while len(self.buckets) > MAX_CLIENTS:
            self.buckets.popitem(last=False)
        return None if allowed else (cost - tokens) / self.rate


def _client_key(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


async def _read(receive: Receive, limit: int) -> tuple[bytes, bool, Message | None]:
    """The request body (complete), or its first `limit`+ bytes (not complete) when larger. A
    non-body message met on the way (a disconnect) is returned to be delivered after the body."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False, message
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body", False):
            return b"".join(chunks), True, None
        if size > limit:
            return b"".join(chunks), False, None


def _replayer(body: bytes, complete: bool, pending: Message | None, receive: Receive) -> Receive:
    queue: list[Message] = [
        {"type": "http.request", "body": body, "more_body": not complete and pending is None}
    ]
    if pending is not None:
        queue.append(pending)

    async def replay() -> Message:
        return queue.pop(0) if queue else await receive()

    return replay


def _tool_calls(body: bytes) -> tuple[int, Any]:
    try:
        payload = json.loads(body)
    except RecursionError:
        raise TooDeep from None
    except ValueError:
        return 0, None
    if _depth_exceeds(payload, MAX_JSON_DEPTH):
        raise TooDeep
    messages = payload if isinstance(payload, list) else [payload]
    calls = [m for m in messages if isinstance(m, dict) and m.get("method") == "tools/call"]
    return len(calls), (calls[0].get("id") if calls else None)


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


def _error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


async def _refuse(send: Send, wait: float, per_minute: int, request_id: Any) -> None:
    seconds = max(1, math.ceil(wait))
    message = f"Too many tool calls from this client (limit: {per_minute} per minute). Retry in {seconds} s."
    await _respond(
        send, 429, _error(request_id, RATE_LIMITED, message), [(b"retry-after", str(seconds).encode())]
    )


async def _respond(
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
