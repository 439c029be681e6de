"""The real `hyperrep-mcp serve --transport http` as a child process on 127.0.0.1.

SDK clients of both protocol eras over Streamable HTTP, plus raw requests for the guards: health
check, bearer token, Host/Origin allowlists (also when bound to 0.0.0.0), body limit; `--workers 2`
answering from both processes; SIGTERM that lets a call in flight finish and exits 0 promptly.
"""

from __future__ import annotations

import re
import signal
import time

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from hyperrep_mcp.server.http import MAX_BODY_BYTES
from tests.e2e.helpers import big_org_name, child_env, http_server, reference
from tests.support import HTTP_TIMEOUT_S, SANDBOX_KEY, RunningSandbox, text_of

pytestmark = pytest.mark.anyio

TOKEN = "e2e-bearer-token-8d1f6a0b3c"
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "e2e", "version": "0"},
    },
}


async def assert_inbox_answers(client: Client) -> None:
    """The calls a user starts with, asserted against the seeded data the demo serves."""
    names = {t.name for t in (await client.list_tools()).tools}
    assert {"inbox_overview", "list_contacts"} <= names
    overview = await client.call_tool("inbox_overview", {})
    assert text_of(overview).startswith(f"Inbox overview — {big_org_name()}"), text_of(overview)
    found = await client.call_tool("list_contacts", {"query": "Diana"})
    assert "Diana Prince" in text_of(found)
    assert found.structured_content["contacts"][0]["contact_id"] == reference().data.fixtures.diana_contact_id


async def test_demo_server_in_both_eras_with_its_guards() -> None:
    with http_server("--demo") as child:
        for mode, version in (("auto", "2026-07-28"), ("legacy", "2025-11-25")):
            async with Client(f"{child.url}/mcp", mode=mode) as client:
                assert client.protocol_version == version
                await assert_inbox_answers(client)

        async with httpx2.AsyncClient(
            base_url=child.url, headers=MCP_HEADERS, timeout=HTTP_TIMEOUT_S
        ) as http:
            health = await http.get("/healthz")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            r = await http.post("/mcp", json=INITIALIZE, headers={"Origin": "https://evil.example"})
            assert (r.status_code, r.text) == (403, "Invalid Origin header")
            r = await http.post("/mcp", json=INITIALIZE, headers={"Host": "evil.example"})
            assert (r.status_code, r.text) == (421, "Invalid Host header")
            r = await http.post("/mcp", content=b" " * (MAX_BODY_BYTES + 1))
            assert r.status_code == 413
            r = await http.post("/mcp", json=INITIALIZE, headers={"Origin": f"http://localhost:{child.port}"})
            assert r.status_code == 200  # a local browser page is still welcome

        code, took = child.stop(signal.SIGTERM)
        assert (code, took < 5) == (0, True), child.stderr()
        assert "Traceback" not in child.stderr()


async def test_stateless_server_serves_both_eras_without_sessions() -> None:
    with http_server("--stateless", "--demo") as child:
        for mode in ("auto", "legacy"):
            async with Client(f"{child.url}/mcp", mode=mode) as client:
                await assert_inbox_answers(client)
        async with httpx2.AsyncClient(
            base_url=child.url, headers=MCP_HEADERS, timeout=HTTP_TIMEOUT_S
        ) as http:
            r = await http.post("/mcp", json=INITIALIZE)
        assert r.status_code == 200 and "mcp-session-id" not in r.headers


async def test_public_bind_needs_the_token_and_still_checks_host_and_origin() -> None:
    """Bound to 0.0.0.0 (the SDK would switch its Host/Origin checks off there); reached via 127.0.0.1."""
    env = child_env(HYPERREP_MCP_TOKEN=TOKEN)
    args = ("--host", "0.0.0.0", "--allowed-host", "mcp.example.test", "--demo")
    with http_server(*args, env=env) as child:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx2.AsyncClient(
            base_url=child.url, headers=MCP_HEADERS, timeout=HTTP_TIMEOUT_S
        ) as http:
            assert (await http.get("/healthz")).status_code == 200  # load balancers probe without a token
            r = await http.post("/mcp", json=INITIALIZE)
            assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
            r = await http.post("/mcp", json=INITIALIZE, headers={"Authorization": f"Bearer {TOKEN}x"})
            assert r.status_code == 401
            r = await http.post("/mcp", json=INITIALIZE, headers={"Authorization": TOKEN})  # no scheme
            assert r.status_code == 401
            r = await http.post("/mcp", json=INITIALIZE, headers={"Authorization": f"Basic {TOKEN}"})
            assert r.status_code == 401
            r = await http.post("/mcp", json=INITIALIZE, headers={"Authorization": f"bearer {TOKEN}"})
            assert r.status_code == 200  # the scheme is case-insensitive

            r = await http.post("/mcp", json=INITIALIZE, headers={**auth, "Host": "evil.example"})
            assert (r.status_code, r.text) == (421, "Invalid Host header")
            r = await http.post("/mcp", json=INITIALIZE, headers={**auth, "Origin": "https://evil.example"})
            assert (r.status_code, r.text) == (403, "Invalid Origin header")
            r = await http.post(
                "/mcp", json=INITIALIZE, headers={**auth, "Host": f"mcp.example.test:{child.port}"}
            )
            assert r.status_code == 200  # the name given with --allowed-host

        async with httpx2.AsyncClient(headers=auth, timeout=HTTP_TIMEOUT_S) as http:
            transport = streamable_http_client(f"{child.url}/mcp", http_client=http)
            async with Client(transport, mode="auto") as client:
                await assert_inbox_answers(client)
        assert TOKEN not in child.stderr()


async def test_two_workers_both_answer_tool_calls() -> None:
    # A real account's organization in the environment must not leak into the demo's workers.
    env = child_env(HYPERREP_ORGANIZATION_ID="HR_id_of_a_real_account")
    with http_server("--workers", "2", "--stateless", "--demo", env=env) as child:
        seen: set[str] = set()
        calls = 0
        while len(seen) < 2 and calls < 24:  # fresh connections; the kernel spreads them over workers
            async with Client(f"{child.url}/mcp", mode="legacy" if calls % 2 else "auto") as client:
                found = await client.call_tool("list_contacts", {"query": "Diana"})
            assert "Diana Prince" in text_of(found)
            calls += 1
            seen = set(
                re.findall(r"\[(\d+)\] hyperrep_mcp\.tools: tool=list_contacts outcome=ok", child.stderr())
            )
        assert len(seen) == 2, f"after {calls} calls only worker(s) {seen} answered:\n{child.stderr()}"
        assert str(child.proc.pid) not in seen  # the parent only supervises

        code, took = child.stop(signal.SIGTERM)
        assert (code, took < 8) == (0, True), child.stderr()


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_sigterm_lets_the_call_in_flight_finish(sandbox: RunningSandbox, mode: str) -> None:
    """Not the demo: a real HTTP upstream whose contact listing is slow. SIGTERM arrives mid-call;
    the caller still gets the full result (a 2025-era client's SSE response is not cut), and the
    server exits 0 right after."""
    env = child_env(
        HYPERREP_API_KEY=SANDBOX_KEY, HYPERREP_BASE_URL=sandbox.url, HYPERREP_ORGANIZATION_ID=sandbox.org
    )
    with http_server(env=env) as child:
        async with Client(f"{child.url}/mcp", mode=mode) as client:
            await client.list_tools()  # the client validates results against output schemas it has seen
            sandbox.sandbox.faults.script("slow", delay_s=1.5, path_contains="/contacts")
            results = []

            async def call() -> None:
                results.append(await client.call_tool("list_contacts", {"query": "Diana"}))

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                with anyio.fail_after(5):  # SIGTERM once the call is surely running upstream
                    while not any(r.path.endswith("/contacts") for r in sandbox.sandbox.requests):  # noqa: ASYNC110 - another thread's list
                        await anyio.sleep(0.02)
                signalled = time.monotonic()
                child.proc.send_signal(signal.SIGTERM)
            assert "Diana Prince" in text_of(results[0]), text_of(results[0])
            code = await anyio.to_thread.run_sync(child.proc.wait, 10)
        assert code == 0, child.stderr()
        assert time.monotonic() - signalled < 5
        stderr = child.stderr()
        assert "Shutting down" in stderr and "Traceback" not in stderr and " ERROR " not in stderr
