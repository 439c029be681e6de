"""Times inside result lines read in HYPERREP_TIMEZONE, through real MCP sessions on a sandbox and a
server pinned to one instant. Ground truth is the sandbox's own messages and the Chicago calendar,
written out by hand: CDT (UTC-5) until 2026-11-01 07:00Z, CST (UTC-6) after. The UTC rendering is
pinned byte for byte by the snapshots in tests/server/tools/."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from mcp import Client

from hyperrep_mcp.server.app import build_server
from tests.server.tools.snapshot import PINNED
from tests.support import RunningSandbox, settings_for, text_of, warm_up_done

pytestmark = pytest.mark.anyio

DST_ENDS = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)  # 02:00 CDT becomes 01:00 CST
UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z")


def chicago(moment: datetime) -> str:
    """`moment` as a Chicago operator reads it, from the calendar alone (no zone database)."""
    hours = -5 if moment < DST_ENDS else -6
    local = moment.astimezone(UTC) + timedelta(hours=hours)
    return f"{local:%Y-%m-%d %H:%M}-0{-hours}:00"


@asynccontextmanager
async def chicago_client(sb: RunningSandbox) -> AsyncIterator[Client]:
    server = build_server(
        settings_for(sb, timezone="America/Chicago"), default_organization_id=sb.org, clock=lambda: PINNED
    )
    started = time.monotonic()
    async with Client(server) as client:
        await warm_up_done(sb, since=started)
        yield client


async def test_a_thread_reads_in_chicago_time_across_the_end_of_dst(
    sandbox_factory: Callable[..., RunningSandbox],
):
    """A conversation whose messages straddle 1 November: the ones before read -05:00, after -06:00,
    each at the instant the sandbox sent it; the header's last activity too, and no UTC time is left."""
    sb = sandbox_factory(now=PINNED)
    org = sb.sandbox.data.org(sb.org)
    straddling = next(
        cid
        for cid in org.conversations
        if (times := [at for _, at in org.timeline(cid)])
        and len(times) <= 8  # the whole thread fits one page
        and min(times) < DST_ENDS - timedelta(hours=6)
        and max(times) > DST_ENDS + timedelta(hours=6)
    )
    messages = org.messages(straddling)
    async with chicago_client(sb) as c:
        result = await c.call_tool("get_conversation_thread", {"conversation_id": straddling})
    text = text_of(result)
    assert not result.is_error, text
    heads = re.findall(r"^\[(\d+)\] (\S+ \S+)", text, flags=re.MULTILINE)
    assert heads == [(str(i + 1), chicago(m.sent_at)) for i, m in enumerate(messages)]
    assert {h[1][-6:] for h in heads} == {"-05:00", "-06:00"}
    assert f"last activity {chicago(max(m.sent_at for m in messages))}" in text.split("\n")[1]
    assert not UTC_TIME.search(text), text
    # structuredContent keeps the UTC instants
    sent = [m["sent_at"] for m in result.structured_content["messages"]]
    assert sent == [m.sent_at.astimezone(UTC).isoformat().replace("+00:00", "Z") for m in messages]


async def test_conversation_lines_and_search_hits_read_in_chicago_time(
    sandbox_factory: Callable[..., RunningSandbox],
):
    """list_conversations' 'last from ...', search_messages' hit rows and the index coverage line, in
    CST with the offset named, at the instants the sandbox holds."""
    sb = sandbox_factory(now=PINNED)
    org = sb.sandbox.data.org(sb.org)
    async with chicago_client(sb) as c:
        convs = await c.call_tool("list_conversations", {"period": "this_week", "limit": 10})
        hits = await c.call_tool(
            "search_messages", {"query": "insurance OR adjuster", "period": "last_30_days", "limit": 5}
        )
    for result in (convs, hits):
        assert not result.is_error, text_of(result)
        assert not UTC_TIME.search(text_of(result)), text_of(result)

    lines = [ln for ln in text_of(convs).split("\n") if ln.startswith("- ")]
    assert lines
    for line in lines:
        cid = re.search(r"conversation_id=(\S+)", line)[1]
        last = org.messages(cid)[-1]
        who = "customer" if last.direction == "inbound" else "us"
        assert f"last from {who} {chicago(last.sent_at)}" in line, line

    rows = [ln for ln in text_of(hits).split("\n") if ln.startswith("- ")]
    found = hits.structured_content["messages"]
    assert len(rows) == len(found) > 0
    for row, hit in zip(rows, found, strict=True):
        sent = next(
            m.sent_at for m in org.messages(hit["conversation_id"]) if m.message_id == hit["message_id"]
        )
        assert row.startswith(f"- {chicago(sent)} · "), row
    # 30 days before 2026-11-18 15:30Z is 2026-10-19 15:30Z, still CDT
    assert "index covers activity since 2026-10-19 10:30-05:00" in text_of(hits).split("\n")[1]


async def test_date_errors_echo_the_arguments_in_chicago_time(sandbox_factory: Callable[..., RunningSandbox]):
    """A refusal quotes the model's own dates as it gave them (Chicago midnights), not as UTC instants;
    nothing is asked upstream."""
    sb = sandbox_factory(now=PINNED)
    async with chicago_client(sb) as c:
        before = len(sb.sandbox.requests)
        swapped = await c.call_tool(
            "list_conversations", {"start_date": "2026-11-10", "end_date": "2026-10-20"}
        )
        future = await c.call_tool("get_response_rate", {"start_date": "2026-12-01"})
        assert sb.sandbox.requests[before:] == []
    assert swapped.is_error and future.is_error
    # end_date 2026-10-20 means the whole day: its last minute, in CDT
    assert "start_date (2026-11-10 00:00-06:00) is after end_date (2026-10-20 23:59-05:00)" in text_of(
        swapped
    )
    assert "start_date (2026-12-01 00:00-06:00) is in the future" in text_of(future)
