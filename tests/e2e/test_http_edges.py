"""The HTTP transport's edges (issue 12, finding 11), over real sockets to the real console script.

Deeply nested JSON gets a clear 400 (not a 500 and a traceback); X-Forwarded-For is ignored unless
the operator names trusted proxies, so a client cannot rotate it past the rate limit; 1,000 slow,
half-sent requests are answered 408 and closed within the header deadline, before authentication,
and the server keeps serving.
"""

from __future__ import annotations

import selectors
import socket
import time

import httpx2
import pytest

from hyperrep_mcp.server.httpproto import HEADER_TIMEOUT_S
from hyperrep_mcp.server.ratelimit import MAX_JSON_DEPTH
from tests.e2e.helpers import child_env, http_server

pytestmark = pytest.mark.anyio

TOKEN = "e2e-edges-token-5be0c1d2"
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
AUTH = {**HEADERS, "Authorization": f"Bearer {TOKEN}"}


def tool_call(i: int) -> dict:
    return {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": "list_organizations"}}


def nested(depth: int) -> bytes:
    return b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":' + b"[" * depth + b"]" * depth + b"}"


async def test_deeply_nested_json_gets_a_clear_400_and_no_traceback() -> None:
    env = child_env(HYPERREP_MCP_RATE_LIMIT="600", HYPERREP_MCP_TOKEN=TOKEN)
    with http_server("--demo", env=env) as child:
        async with httpx2.AsyncClient(base_url=child.url, headers=AUTH, timeout=30) as http:
            for depth in (MAX_JSON_DEPTH + 1, 5_000, 400_000):
                r = await http.post("/mcp", content=nested(depth))
                assert r.status_code == 400, (depth, r.status_code, r.text[:200])
                assert "nests more than" in r.json()["error"]["message"]
            fine = await http.post("/mcp", content=nested(10))
            assert fine.status_code != 400 or "nests" not in fine.text  # a shallow body is not refused
            assert (await http.get("/healthz")).status_code == 200
        assert "Traceback" not in child.stderr(), child.stderr()[-2000:]


async def statuses_with_rotating_forwarded_for(*args: str) -> list[int]:
    """Ten tool calls from one socket peer, each claiming another address in X-Forwarded-For."""
    # 6 per minute: a burst of one call, then 429 for the same client
    env = child_env(HYPERREP_MCP_RATE_LIMIT="6", HYPERREP_MCP_TOKEN=TOKEN)
    with http_server("--demo", *args, env=env) as child:
        async with httpx2.AsyncClient(base_url=child.url, headers=AUTH, timeout=30) as http:
            return [
                (
                    await http.post("/mcp", json=tool_call(i), headers={"X-Forwarded-For": f"203.0.113.{i}"})
                ).status_code
                for i in range(1, 11)
            ]


async def test_forwarded_for_is_ignored_by_default() -> None:
    """Rotating the header does not make a new client: 9 of 10 refused."""
    statuses = await statuses_with_rotating_forwarded_for()
    assert statuses.count(429) == 9, statuses


async def test_forwarded_for_is_believed_from_a_proxy_the_operator_names() -> None:
    statuses = await statuses_with_rotating_forwarded_for("--forwarded-allow-ips", "127.0.0.1")
    assert 429 not in statuses, statuses


def test_bad_forwarded_allow_ips_is_a_one_line_configuration_error() -> None:
    from tests.e2e.helpers import run_cli

    result = run_cli("serve", "--transport", "http", "--demo", "--forwarded-allow-ips", "proxy.example")
    assert result.returncode != 0
    assert "--forwarded-allow-ips" in result.stderr and "Traceback" not in result.stderr


def test_a_thousand_slow_partial_requests_are_closed_within_the_header_deadline() -> None:
    env = child_env(HYPERREP_MCP_TOKEN=TOKEN)
    with http_server("--demo", env=env) as child:
        socks: list[socket.socket] = []
        selector = selectors.DefaultSelector()
        started = time.monotonic()
        try:
            for _ in range(1000):
                sock = socket.create_connection(("127.0.0.1", child.port), timeout=10)
                # a request line and one header, never finished: no Authorization ever arrives
                sock.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                sock.setblocking(False)
                socks.append(sock)
                selector.register(sock, selectors.EVENT_READ)
            opened = time.monotonic() - started
            # meanwhile the server still serves
            assert httpx2.get(f"{child.url}/healthz", timeout=10).status_code == 200
            closed, answers = 0, set()
            deadline = started + opened + HEADER_TIMEOUT_S + 5
            while closed < len(socks) and time.monotonic() < deadline:
                for key, _ in selector.select(timeout=0.5):
                    sock = key.fileobj
                    data = b""
                    try:
                        while chunk := sock.recv(4096):  # type: ignore[union-attr]
                            data += chunk
                    except BlockingIOError:
                        continue  # more may come before the close
                    except ConnectionResetError:
                        pass
                    answers.add(data.split(b"\r\n", 1)[0])
                    selector.unregister(sock)
                    closed += 1
            held = time.monotonic() - started
        finally:
            selector.close()
            for sock in socks:
                sock.close()
        assert closed == 1000, f"{1000 - closed} connections still open after {held:.1f} s"
        assert held < opened + HEADER_TIMEOUT_S + 5
        assert answers <= {b"HTTP/1.1 408 Request Timeout", b""}, answers
        assert httpx2.get(f"{child.url}/healthz", timeout=10).status_code == 200

        # the next request on a kept-alive connection has the same deadline
        with socket.create_connection(("127.0.0.1", child.port), timeout=HEADER_TIMEOUT_S + 5) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            first = sock.recv(65536)
            assert first.startswith(b"HTTP/1.1 200"), first
            started = time.monotonic()
            sock.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            while sock.recv(65536):
                pass
            assert time.monotonic() - started < HEADER_TIMEOUT_S + 3
        assert "Traceback" not in child.stderr()
