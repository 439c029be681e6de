"""Warm-up (SPEC section 9): once the client has initialized, the server loads in the background
what the first tool call would otherwise pay; before that, the API hears nothing; the answer to
`initialize` does not wait for it."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
import time
import weakref

import anyio
import pytest
from mcp import Client

from hyperrep_mcp.api.models import Company, Message, Page
from hyperrep_mcp.server.app import build_server
from hyperrep_mcp.server.state import WARM_UP_MODULES, WRITE_PATH_MODULES
from tests.e2e.helpers import child_env
from tests.support import SANDBOX_KEY, RunningSandbox, connect, settings_for

pytestmark = pytest.mark.anyio
ORGS = "/api/v2/organizations"


def org_list_requests(sb: RunningSandbox) -> int:
    return sum(r.path == ORGS for r in sb.sandbox.requests)


async def first_call_finds_the_organizations_loaded(client: Client, sandbox: RunningSandbox) -> None:
    """The warm-up asks for the organization list by itself; the first call then asks nothing more."""
    with anyio.fail_after(10):
        while org_list_requests(sandbox) == 0:  # noqa: ASYNC110 - no tool has been called
            await anyio.sleep(0.02)
    result = await client.call_tool("list_organizations", {})
    assert not result.is_error
    assert org_list_requests(sandbox) == 1  # the call used what the warm-up loaded


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # the 2026 era (server/discover), the handshake
async def test_an_initialized_client_finds_the_organizations_loaded_before_its_first_call(
    sandbox: RunningSandbox, mode: str
):
    sandbox.sandbox.requests.clear()
    async with connect(sandbox, default_org=False, mode=mode) as client:
        await first_call_finds_the_organizations_loaded(client, sandbox)


async def test_a_client_pinned_to_2026_that_lists_the_tools_gets_the_warm_up(sandbox: RunningSandbox):
    """A 2026-07-28 client need not send server/discover: one pinned to that revision lists the tools
    and calls one later. Its first call must not pay what start-up left out (stamina's import since
    ae488a6, the organization list): listing the tools shows a ready client, so the warm-up runs."""
    sandbox.sandbox.requests.clear()
    server = build_server(settings_for(sandbox), default_organization_id=None)
    async with Client(server, mode="2026-07-28") as client:
        assert org_list_requests(sandbox) == 0  # no discovery: nothing has started it yet
        await client.list_tools()
        await first_call_finds_the_organizations_loaded(client, sandbox)


async def test_what_the_warm_up_builds_outlives_a_full_garbage_collection(sandbox: RunningSandbox):
    """pydantic caches `Page[X]` weakly: unheld, the warm-up's page models were collected during the
    person's idle time and rebuilt by the first call, which then paid for them after all."""
    async with connect(sandbox):
        built = [weakref.ref(Page[model]) for model in (Message, Company)]
        gc.collect()
        assert all(ref() is not None for ref in built)


async def test_a_failing_warm_up_is_left_for_the_first_call_to_report(sandbox: RunningSandbox):
    sandbox.sandbox.requests.clear()
    async with connect(sandbox, default_org=False, api_key="sk-wrong-key-0000") as client:
        with anyio.fail_after(10):
            while not sandbox.sandbox.requests:  # noqa: ASYNC110 - polling another thread's list
                await anyio.sleep(0.02)
        result = await client.call_tool("list_organizations", {})
    assert result.is_error and "HYPERREP_API_KEY" in result.content[0].text


def test_over_stdio_nothing_reaches_the_api_before_initialized(sandbox: RunningSandbox):
    sandbox.sandbox.requests.clear()
    env = child_env(HYPERREP_API_KEY=SANDBOX_KEY, HYPERREP_BASE_URL=sandbox.url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hyperrep_mcp"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        initialize = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "0"},
            },
        }
        proc.stdin.write(json.dumps(initialize) + "\n")
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["id"] == 1
        time.sleep(1.0)  # the server is up and answered: still nothing upstream
        assert sandbox.sandbox.requests == []
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 15
        while org_list_requests(sandbox) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert org_list_requests(sandbox) == 1
    finally:
        end(proc)


def end(proc: subprocess.Popen[str]) -> None:
    """A stdio server ends when its input does; one that does not within 10 s is killed."""
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def _imported(lines: list[str]) -> list[str]:
    """Module names from `python -X importtime` lines (one per module, when it is first imported)."""
    return [line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")]


def _loaded(modules: set[str], lines: list[str]) -> set[str]:
    """Which of `modules` the lines show loaded. A package is seen by its submodules too:
    `importlib.import_module` itself writes no importtime line, the imports it runs do."""
    names = _imported(lines)
    return {m for m in modules if any(n == m or n.startswith(f"{m}.") for n in names)}


def test_over_stdio_what_start_up_leaves_out_the_warm_up_loads_and_the_first_calls_import_nothing(
    sandbox: RunningSandbox,
):
    """SPEC section 9, watched through `-X importtime` on a real stdio server: the modules left out
    of start-up are not loaded before the answer to `initialize`; the warm-up loads them once the
    client has initialized; then the first calls of the tools a person starts with import nothing
    at all, so no cost moved out of start-up can land in a first call unnoticed."""
    fixtures = sandbox.sandbox.data.fixtures
    env = child_env(
        HYPERREP_API_KEY=SANDBOX_KEY, HYPERREP_BASE_URL=sandbox.url, HYPERREP_ORGANIZATION_ID=sandbox.org
    )
    proc = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "hyperrep_mcp"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stderr: list[str] = []
    reader = threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()

    def send(message: dict) -> None:
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]

    def answer(request_id: int) -> dict:
        while True:
            message = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
            if message.get("id") == request_id:
                return message

    def settled() -> int:
        """How many stderr lines there are once the server has written nothing for a moment."""
        seen = -1
        while seen != len(stderr):
            seen = len(stderr)
            time.sleep(0.3)
        return seen

    deferred = set(WARM_UP_MODULES + WRITE_PATH_MODULES)
    calls = {
        "list_conversations": {"limit": 25},
        "get_conversation_thread": {"conversation_id": fixtures.diana_email_conversation_id, "limit": 50},
        "get_contact": {"contact_id": fixtures.diana_contact_id},
        "get_response_rate": {"compare_to_previous": True},
    }
    try:
        send(
            {
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "test", "version": "0"},
                },
            }
        )
        assert "result" in answer(1)
        at_start = stderr[: settled()]
        assert "hyperrep_mcp.server.app" in _imported(at_start), "no -X importtime lines: nothing proven"
        assert _loaded(deferred, at_start) == set(), "start-up loaded what it leaves to the warm-up"

        send({"method": "notifications/initialized"})
        deadline = time.monotonic() + 20
        while _loaded(deferred, stderr) != deferred and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _loaded(deferred, stderr) == deferred, "the warm-up did not load what start-up left out"
        while org_list_requests(sandbox) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        before_calls = settled()

        for request_id, (tool, arguments) in enumerate(calls.items(), start=10):
            send({"id": request_id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
            result = answer(request_id)["result"]
            assert not result.get("isError"), (tool, result)
        assert _imported(stderr[before_calls : settled()]) == []
    finally:
        end(proc)
