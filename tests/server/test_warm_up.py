"""Warm-up (SPEC section 9): once the client has initialized, the server loads in the background
what the first tool call would otherwise pay; before that, the API hears nothing; the answer to
`initialize` does not wait for it."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
import weakref

import anyio
import pytest

from hyperrep_mcp.api.models import Company, Message, Page
from tests.e2e.helpers import child_env
from tests.support import SANDBOX_KEY, RunningSandbox, connect

pytestmark = pytest.mark.anyio
ORGS = "/api/v2/organizations"


def org_list_requests(sb: RunningSandbox) -> int:
    return sum(r.path == ORGS for r in sb.sandbox.requests)


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # the 2026 era (server/discover), the handshake
async def test_an_initialized_client_finds_the_organizations_loaded_before_its_first_call(
    sandbox: RunningSandbox, mode: str
):
    sandbox.sandbox.requests.clear()
    async with connect(sandbox, default_org=False, mode=mode) as client:
        with anyio.fail_after(10):
            while org_list_requests(sandbox) == 0:  # noqa: ASYNC110 - no tool has been called
                await anyio.sleep(0.02)
        result = await client.call_tool("list_organizations", {})
        assert not result.is_error
    assert org_list_requests(sandbox) == 1  # the call used what the warm-up loaded


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
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
