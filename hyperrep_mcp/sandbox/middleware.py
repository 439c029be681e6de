"""Outermost layer: log every request, add latency, inject faults, promote due drafts.

Pure ASGI rather than Starlette's BaseHTTPMiddleware, because a "drop" fault has to start a
response and then abort it, which only raw ``send`` can do.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hyperrep_mcp.sandbox import fault_responses
from hyperrep_mcp.sandbox.state import RequestRecord, Sandbox


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


class SandboxMiddleware:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sandbox = self.sandbox
        body = await _read_body(receive)
        record = RequestRecord(
            method=scope["method"],
            path=scope["path"],
            query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)),
            json=_parse_json(body),
            status=0,
            at=time.monotonic(),
        )
        sandbox.log(record)
        body_sent = False

        async def replay() -> Message:
            # The body was consumed above for the log; hand it to the app once, then pass
            # through (so disconnects still reach the app).
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        if sandbox.config.latency_ms > 0:
            await anyio.sleep(sandbox.config.latency_ms / 1000)
        fault = sandbox.faults.next_for(record.method, record.path)
        sandbox.promote_due_drafts()
        try:
            if fault is None:
                await self.app(scope, replay, recording_send)
            else:
                await fault_responses.apply(fault, self.app, scope, replay, recording_send)
        except fault_responses.DroppedConnection:
            record.status = 0
            raise
