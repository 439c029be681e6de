"""Per-client rate limit on the MCP requests that reach the HyperRep API, for the HTTP transport
(a token bucket per client address).

`tools/call`, `resources/read` and `completion/complete` count (each can send requests upstream);
discovery, listings and pings stay free, so a throttled client can still see what it may do. A
refused request gets HTTP 429 with Retry-After and a JSON-RPC error that says the limit and when to
retry. Buckets are per process (like every cache here): N replicas admit up to N times the limit in
total. The body was read, bounded and parsed by `BodyGuard` (always installed outside this), which
leaves the JSON in the scope; this only counts.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from hyperrep_mcp.server.bodyguard import PARSED_BODY, error, respond

MAX_CLIENTS = 10_000  # buckets kept; the least recently seen client is forgotten first
RATE_LIMITED = -32029  # JSON-RPC server-error range
COUNTED_METHODS = frozenset({"tools/call", "resources/read", "completion/complete"})


class ToolCallRateLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        per_minute: int,
        path: str = "/mcp",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, per_minute / 6)  # a burst of ten seconds' worth
        self.path = path
        self.clock = clock
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == self.path:
            calls, first_id = counted(scope.get(PARSED_BODY))
            if calls:
                wait = self._take(_client_key(scope), calls)
                if wait is not None:
                    await _refuse(send, wait, self.per_minute, first_id)
                    return
        await self.app(scope, receive, send)

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


def counted(payload: Any) -> tuple[int, Any]:
    """How many messages in this JSON-RPC payload (one message or a batch) count, and the first one's id."""
    messages = payload if isinstance(payload, list) else [payload]
    calls = [m for m in messages if isinstance(m, dict) and m.get("method") in COUNTED_METHODS]
    return len(calls), (calls[0].get("id") if calls else None)


async def _refuse(send: Send, wait: float, per_minute: int, request_id: Any) -> None:
    seconds = max(1, math.ceil(wait))
    message = (
        f"Too many calls from this client (tool calls, resource reads and completions; limit: "
        f"{per_minute} per minute). Retry in {seconds} s."
    )
    await respond(
        send, 429, error(request_id, RATE_LIMITED, message), [(b"retry-after", str(seconds).encode())]
    )
