"""A cancelled call stops its upstream work; a call's total time is bounded whatever the upstream does."""

from __future__ import annotations

import asyncio
import time

import anyio
import pytest

from hyperrep_mcp.server import registry
from tests.support import RunningSandbox, connect, text_of

pytestmark = pytest.mark.anyio


async def test_cancelling_inbox_overview_stops_upstream_work_promptly(sandbox_factory):
    sb: RunningSandbox = sandbox_factory(latency_ms=150)  # every upstream request takes 150 ms
    async with connect(sb) as client:
        # Let the background warm-up finish (its organization request, its CPU work): this test
        # counts the call's own requests and tasks.
        with anyio.fail_after(10):
            while not sb.sandbox.requests:  # noqa: ASYNC110 - polling another thread's list
                await anyio.sleep(0.05)
        # The inbox index is shared work that outlives one call (SPEC 8): bring it up to date first,
        # so what is cancelled below is only the call's own work.
        assert not (await client.call_tool("inbox_overview", {})).is_error
        await anyio.sleep(0.5)
        tasks_before = len(asyncio.all_tasks())
        with anyio.move_on_after(0.2) as scope:
            await client.call_tool("inbox_overview", {})
        cancelled_at = time.monotonic()
        assert scope.cancelled_caught  # the call was still running: a real cancellation
        started = len([r for r in sb.sandbox.requests if r.path != "/api/v2/organizations"])
        await anyio.sleep(1.0)  # long enough for several more rounds of requests, had the work gone on
        late = [r for r in sb.sandbox.requests if r.at > cancelled_at + 0.1]
        assert started > 0
        assert late == [], f"{len(late)} upstream requests started after the cancellation"
        assert len(asyncio.all_tasks()) <= tasks_before  # nothing of the call is left running


async def test_cancelling_during_the_first_sync_stops_all_but_the_index_sync(sandbox_factory):
    sb: RunningSandbox = sandbox_factory(latency_ms=150)
    async with connect(sb) as client:
        with anyio.move_on_after(0.5) as scope:
            await client.call_tool("inbox_overview", {})
        cancelled_at = time.monotonic()
        assert scope.cancelled_caught
        await anyio.sleep(1.0)
        late = [r for r in sb.sandbox.requests if r.at > cancelled_at + 0.1]
        # The sync goes on for the next call; nothing else the call started does.
        assert late and all(
            r.path.endswith(("/conversations", "/messages", "/contacts", "/companies")) for r in late
        )


async def test_a_call_is_bounded_when_every_upstream_request_hangs(sandbox_factory):
    sb: RunningSandbox = sandbox_factory()
    sb.sandbox.faults.script("slow", times=10_000, delay_s=30.0)
    async with connect(sb, timeout=0.3, max_retries=2) as client:
        started = time.monotonic()
        result = await client.call_tool("inbox_overview", {})
        took = time.monotonic() - started
    assert result.is_error
    assert "did not answer" in text_of(result) and "Retry" in text_of(result)
    assert took < 5.0


async def test_the_tool_deadline_caps_a_slow_but_answering_upstream(sandbox_factory, monkeypatch):
    """Each request answers just inside its timeout, so only the per-call deadline can stop the call."""
    monkeypatch.setattr(registry, "TOOL_DEADLINE_S", 1.5)
    sb: RunningSandbox = sandbox_factory(latency_ms=400)
    async with connect(sb, timeout=5) as client:
        started = time.monotonic()
        result = await client.call_tool("list_contacts", {"query": "no such person anywhere"})
        took = time.monotonic() - started
    assert result.is_error and "did not finish within" in text_of(result)
    assert took < 2.5
