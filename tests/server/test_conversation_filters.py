"""list_conversations on the inbox index: channel, awaiting_reply, sort=longest_waiting and the richer
rows, each checked against ground truth computed from the sandbox's own data."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import pytest
from mcp import Client

from hyperrep_mcp.sandbox import SandboxConfig, create_app
from tests.index import helpers as truth
from tests.support import RunningSandbox, UvicornThread, connect, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    app = create_app(SandboxConfig())
    with UvicornThread(app) as server:
        yield RunningSandbox(server.url, app.state.sandbox)


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[Client]:
    async with connect(sandbox) as c:
        yield c


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def every_page(client: Client, args: dict[str, Any]) -> tuple[list[dict], dict]:
    """All rows of a listing, following its cursors; and the first page's structured content."""
    rows: list[dict] = []
    first = None
    cursor = None
    while True:
        result = await client.call_tool("list_conversations", {**args, "limit": 100, "cursor": cursor})
        assert not result.is_error, text_of(result)
        sc = result.structured_content
        first = first or sc
        rows += sc["conversations"]
        cursor = sc.get("next_cursor")
        if not cursor:
            return rows, first


async def test_awaiting_longest_waiting_is_the_complete_list(client: Client, sandbox: RunningSandbox):
    org = truth.org_data(sandbox, sandbox.org)
    rows, first = await every_page(
        client, {"awaiting_reply": True, "sort": "longest_waiting", "period": "last_30_days"}
    )
    start, end = parse(first["window"]["start_date"]), parse(first["window"]["end_date"])
    waiting = truth.awaiting(org, truth.active(org, start, end))
    assert len(waiting) > 100  # more than one page
    assert first["total"] == len(waiting) and first["coverage_complete"] is True
    assert [r["conversation_id"] for r in rows] == sorted(waiting, key=lambda cid: waiting[cid])
    for r in rows[:20]:
        conv = org.conversations[r["conversation_id"]]
        assert parse(r["waiting_since"]) == waiting[conv.conversation_id]
        assert r["modality"] == conv.modality and r["folder"] == conv.folder
        assert r["last_from"] == "customer" and r["awaiting_reply"] is True


async def test_unread_texts_of_the_last_7_days(client: Client, sandbox: RunningSandbox):
    org = truth.org_data(sandbox, sandbox.org)
    rows, first = await every_page(client, {"channel": "text", "unread_only": True, "period": "last_7_days"})
    start, end = parse(first["window"]["start_date"]), parse(first["window"]["end_date"])
    expected = [
        c
        for c in sorted(
            (org.conversations[cid] for cid in truth.active(org, start, end)),
            key=lambda c: c.last_activity_at,
            reverse=True,
        )
        if c.modality == "text" and not c.is_read and c.folder != "spam"
    ]
    assert [r["conversation_id"] for r in rows] == [c.conversation_id for c in expected]
    assert first["total"] == len(expected) > 0


async def test_rows_say_channel_subject_and_who_wrote_last(client: Client, sandbox: RunningSandbox):
    org = truth.org_data(sandbox, sandbox.org)
    result = await client.call_tool(
        "list_conversations", {"channel": "email", "period": "last_7_days", "limit": 15}
    )
    text = text_of(result)
    assert "index covers activity since" in text  # coverage in the header
    for r in result.structured_content["conversations"]:
        conv = org.conversations[r["conversation_id"]]
        last = sorted(org.messages(conv.conversation_id), key=lambda m: m.sent_at)[-1]
        assert r["modality"] == "email" == conv.modality
        assert r.get("subject") == conv.subject
        assert r["last_from"] == ("customer" if last.direction == "inbound" else "us")
        assert parse(r["last_message_at"]) == last.sent_at
        line = next(line for line in text.splitlines() if r["conversation_id"] in line)
        assert f'"{conv.subject}"' in line and f"last from {r['last_from']}" in line


async def test_plain_listing_rows_are_complete_too(client: Client, sandbox: RunningSandbox):
    org = truth.org_data(sandbox, sandbox.org)
    result = await client.call_tool("list_conversations", {"limit": 10})
    for r in result.structured_content["conversations"]:
        conv = org.conversations[r["conversation_id"]]
        last = sorted(org.messages(conv.conversation_id), key=lambda m: m.sent_at)[-1]
        assert r["modality"] == conv.modality and r.get("subject") == conv.subject
        assert r["last_from"] == ("customer" if last.direction == "inbound" else "us")
        assert r.get("gist")


@pytest.mark.parametrize(
    ("args", "names"),
    [
        ({"channel": "fax"}, "channel"),
        ({"sort": "oldest"}, "sort"),
        ({"period": "this_decade"}, "period"),
        ({"period": "today", "start_date": "2026-11-01"}, "period"),
        ({"awaiting_reply": True, "cursor": "hc1.e30"}, "cursor"),
    ],
)
async def test_bad_arguments_name_the_argument_and_send_nothing(
    client: Client, sandbox: RunningSandbox, args: dict, names: str
):
    await client.call_tool("list_organizations", {})
    before = len(sandbox.sandbox.requests)
    result = await client.call_tool("list_conversations", args)
    assert result.is_error
    assert names in text_of(result)
    assert sandbox.sandbox.requests[before:] == []


async def test_unread_leaves_spam_out_like_the_overview(sandbox_factory):
    sb = sandbox_factory()
    org = truth.org_data(sb, sb.org)
    newest_unread_text = next(
        c for c in org.conversations_by_activity() if c.modality == "text" and not c.is_read
    )
    org.conversations[newest_unread_text.conversation_id] = dataclasses.replace(
        newest_unread_text, folder="spam"
    )
    async with connect(sb) as client:
        listed = await client.call_tool(
            "list_conversations",
            {"channel": "text", "unread_only": True, "period": "last_7_days", "limit": 100},
        )
        overview = await client.call_tool("inbox_overview", {})
    ids = [r["conversation_id"] for r in listed.structured_content["conversations"]]
    assert newest_unread_text.conversation_id not in ids
    assert (
        listed.structured_content["total"]
        == overview.structured_content["unread_by_channel"]["text"]
        == len(ids)
    )
    assert "spam left out" in text_of(listed)
    # Asked for by name, spam is listed.
    async with connect(sb) as client:
        spam = await client.call_tool(
            "list_conversations",
            {"channel": "text", "unread_only": True, "folder": "spam", "period": "last_7_days"},
        )
    assert [r["conversation_id"] for r in spam.structured_content["conversations"]] == [
        newest_unread_text.conversation_id
    ]
