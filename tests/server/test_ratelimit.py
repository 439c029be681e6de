"""Per-client rate limit on tool calls, resource reads and completions, and the request-body guard
in front of it (HTTP transport)."""

from __future__ import annotations

import json
import logging
import socket
import time
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client

from hyperrep_mcp.config import load_settings
from hyperrep_mcp.server import bodyguard
from hyperrep_mcp.server.app import build_server
from hyperrep_mcp.server.bodyguard import MAX_JSON_DEPTH, BodyGuard
from hyperrep_mcp.server.http import build_http_app
from hyperrep_mcp.server.ratelimit import ToolCallRateLimit
from tests.support import HTTP_TIMEOUT_S, SANDBOX_KEY, RunningSandbox, UvicornThread, text_of

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limited(per_minute: int, clock: Clock) -> tuple[Any, list[bytes]]:
    seen: list[bytes] = []

    async def downstream(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        seen.append(message.get("body", b""))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return BodyGuard(ToolCallRateLimit(downstream, per_minute=per_minute, clock=clock)), seen


def rpc(method: str, id_: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "method": method, "params": {}}


async def post(app: Any, body: Any, client_ip: str = "10.0.0.1") -> httpx2.Response:
    transport = httpx2.ASGITransport(app=app, client=(client_ip, 1234))
    async with httpx2.AsyncClient(transport=transport, base_url="http://t") as http:
        return await http.post("/mcp", content=json.dumps(body))


async def test_tool_calls_beyond_the_budget_get_429_with_retry_after():
    clock = Clock()
    app, seen = limited(60, clock)  # 1 per second, burst of 10
    answers = [await post(app, rpc("tools/call", i)) for i in range(12)]
    assert [a.status_code for a in answers] == [200] * 10 + [429] * 2
    refused = answers[-1]
    assert refused.headers["retry-after"] == "1"
    error = refused.json()["error"]
    assert (
        refused.json()["id"] == 11
        and "60 per minute" in error["message"]
        and "Retry in 1 s" in error["message"]
    )
    assert (
        len(seen) == 10 and json.loads(seen[0])["method"] == "tools/call"
    )  # the body reached the app intact
    clock.now += 1.0
    assert (await post(app, rpc("tools/call"))).status_code == 200  # the bucket refills


async def test_only_tool_calls_count_and_clients_are_separate():
    clock = Clock()
    app, _ = limited(6, clock)  # burst of 1
    assert (await post(app, rpc("tools/call"))).status_code == 200
    assert (await post(app, rpc("tools/call"))).status_code == 429
    for free in ("tools/list", "resources/list", "prompts/list", "prompts/get", "ping"):
        assert (await post(app, rpc(free))).status_code == 200, free  # discovery stays free
    assert (await post(app, rpc("tools/call"), client_ip="10.0.0.2")).status_code == 200  # another client
    batch = [rpc("tools/call", 1), rpc("tools/call", 2)]
    assert (await post(app, batch, client_ip="10.0.0.3")).status_code == 429  # a batch costs each call


async def test_a_real_client_sees_a_clear_error(sandbox: RunningSandbox):
    settings = load_settings(api_key=SANDBOX_KEY, base_url=sandbox.url, mcp_rate_limit=6)
    app = build_http_app(build_server(settings, default_organization_id=sandbox.org), settings)
    with UvicornThread(app) as server:
        async with httpx2.AsyncClient(timeout=HTTP_TIMEOUT_S) as http:
            transport = streamable_http_client(f"{server.url}/mcp", http_client=http)
            async with Client(transport) as client:
                first = await client.call_tool("list_organizations", {})
                assert not first.is_error
                with pytest.raises(
                    MCPError,
                    match=r"Too many calls from this client \(tool calls, resource reads and completions; limit: 6 per minute\)",
                ):
                    await client.call_tool("list_organizations", {})
    assert text_of(first)


def test_loopback_binds_are_not_limited_by_default():
    settings = load_settings(api_key="k")
    assert settings.mcp_rate_limit is None
    app = build_http_app(build_server(settings), settings, host="127.0.0.1")
    assert not _contains(app, ToolCallRateLimit)
    public = build_http_app(
        build_server(settings), load_settings(api_key="k", mcp_token="t" * 32), host="0.0.0.0"
    )
    assert _contains(public, ToolCallRateLimit)


def _contains(app: Any, kind: type) -> bool:
    while app is not None:
        if isinstance(app, kind):
            return True
        app = getattr(app, "app", None)
    return False


async def test_deep_nesting_is_a_clear_400_not_a_crash():
    app, seen = limited(60, Clock())
    for depth in (MAX_JSON_DEPTH + 1, 100_000):
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {}}
        raw = json.dumps(body)[:-1] + ',"x":' + "[" * depth + "]" * depth + "}"
        transport = httpx2.ASGITransport(app=app, client=("10.0.0.1", 1234))
        async with httpx2.AsyncClient(transport=transport, base_url="http://t") as http:
            answer = await http.post("/mcp", content=raw)
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == -32700
        assert f"more than {MAX_JSON_DEPTH} levels" in answer.json()["error"]["message"]
    assert seen == []  # nothing reached the MCP app
    ok = await post(app, {**rpc("tools/call"), "params": {"a": [[[[{"b": [1]}]]]]}})
    assert ok.status_code == 200


async def test_a_body_that_trickles_in_gets_408():
    seen: list[Any] = []

    async def downstream(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)

    app = BodyGuard(downstream, body_timeout=0.2)
    sent: list[dict[str, Any]] = []
    parts = [{"type": "http.request", "body": b'{"jsonrpc":', "more_body": True}]

    async def receive() -> dict[str, Any]:
        if parts:
            return parts.pop(0)
        await anyio.sleep(30)  # the rest never comes
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/mcp", "client": ("10.0.0.1", 1), "headers": []}
    with anyio.fail_after(5):
        await app(scope, receive, send)
    assert sent[0]["status"] == 408
    assert seen == []


async def test_resource_reads_and_completions_count_too():
    """Both reach the HyperRep API, so a client cannot go around the limit through them."""
    for method in ("resources/read", "completion/complete"):
        clock = Clock()
        app, seen = limited(6, clock)  # burst of 1
        assert (await post(app, rpc(method, 1))).status_code == 200, method
        refused = await post(app, rpc(method, 2))
        assert refused.status_code == 429, method
        assert (
            refused.json()["id"] == 2
            and "resource reads and completions" in refused.json()["error"]["message"]
        )
        assert (await post(app, rpc("tools/call", 3))).status_code == 429  # one budget for all three
        assert len(seen) == 1


def guarded_server(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> UvicornThread:
    """The real HTTP app on a loopback bind with the rate limit off, behind real uvicorn."""
    monkeypatch.setattr(bodyguard, "BODY_TIMEOUT_S", 1.0)
    settings = load_settings(api_key=SANDBOX_KEY, base_url=sandbox.url, mcp_rate_limit=0)
    app = build_http_app(build_server(settings, default_organization_id=sandbox.org), settings)
    assert not _contains(app, ToolCallRateLimit) and _contains(app, BodyGuard)
    return UvicornThread(app, log_level="info")


def post_head(port: int, length: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Accept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n" % length
    )
    return sock


def test_without_a_rate_limit_a_trickling_body_still_gets_408(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
):
    """HYPERREP_MCP_RATE_LIMIT=0 (the loopback default) used to drop the body deadline with the
    limiter: one byte every 0.4 s of a 100-byte body was never answered."""
    with guarded_server(sandbox, monkeypatch) as server:
        sock = post_head(server.port, 100)
        started, answer = time.monotonic(), b""
        sock.settimeout(0.4)
        while time.monotonic() - started < 6 and not answer:
            try:
                sock.sendall(b" ")
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
        sock.close()
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert b"did not arrive in time" in answer and waited < 3, waited


def test_without_a_rate_limit_deep_nesting_is_400_and_a_disconnect_is_quiet(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    with guarded_server(sandbox, monkeypatch) as server:
        # half a body, then the client goes away
        sock = post_head(server.port, 1000)
        sock.sendall(b'{"jsonrpc": "2.0", ')
        time.sleep(0.2)
        sock.close()
        time.sleep(0.5)
        deep = b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":' + b"[" * 5000 + b"]" * 5000 + b"}"
        answer = httpx2.post(
            f"{server.url}/mcp",
            content=deep,
            headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
        )
        assert answer.status_code == 400 and f"more than {MAX_JSON_DEPTH} levels" in answer.text
        assert httpx2.get(f"{server.url}/healthz").status_code == 200
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_info}" for r in caplog.records)
    assert "ClientDisconnect" not in logged and "Traceback" not in caplog.text, logged[-2000:]
    assert not [r for r in caplog.records if r.exc_info], logged[-2000:]
