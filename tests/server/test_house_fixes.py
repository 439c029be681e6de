"""Review findings on the split tools (issues 12/13 follow-up), each proven on the sandbox's data and log."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import pytest
from mcp.types import PromptReference

from tests.server.test_writes import EMAIL, Human, posted
from tests.support import RunningSandbox, connect, text_of

pytestmark = pytest.mark.anyio


def diana(sb: RunningSandbox) -> str:
    return sb.sandbox.data.fixtures.diana_email_conversation_id


# --- a send whose answer is lost is looked for, never posted again -----------------------------------


@pytest.mark.parametrize("then", ["status", "drop"])
async def test_a_reply_send_whose_answer_is_lost_is_not_posted_again(sandbox: RunningSandbox, then: str):
    params = {"then": "drop"} if then == "drop" else {}
    sandbox.sandbox.faults.script(
        "commit_then_fail", method="POST", path_contains="/response-drafts", **params
    )
    args = {
        "conversation_id": diana(sandbox),
        "body_text": "Booked for Tuesday at 2pm.",
        "autosend_draft": True,
    }
    async with connect(sandbox, write_mode="autosend", elicitation_callback=Human("accept", send=True)) as c:
        r = await c.call_tool("upsert_response_draft", args)
    [request] = posted(sandbox, "/response-drafts")  # the one send went out once, not retried
    assert request.json["autosend_draft"] is True
    assert not r.is_error, text_of(r)
    queued = [
        d
        for d in sandbox.sandbox.data.org(sandbox.org).response_drafts.values()
        if d.conversation_id == diana(sandbox) and d.body_html and "Tuesday at 2pm" in d.body_html
    ]
    assert len(queued) == 1 and queued[0].scheduled_send_at is not None
    out = r.structured_content
    assert out["sent"] is True and out["draft"]["response_id"] == queued[0].response_id
    assert any("did not confirm" in n for n in out["notes"]), out["notes"]


# --- an identical draft found upstream keeps its queued state ----------------------------------------


async def test_an_identical_queued_draft_found_upstream_reads_as_queued(sandbox: RunningSandbox):
    args = {**EMAIL, "body_text": "Your crew arrives at 9."}
    human = Human("accept", send=True)
    async with (
        connect(sandbox, write_mode="autosend", elicitation_callback=human) as one,
        connect(sandbox) as two,
    ):
        first = await one.call_tool("create_message_draft", {**args, "autosend_draft": True})
        twin = await two.call_tool("create_message_draft", args)  # another replica: found upstream
    assert not first.is_error and not twin.is_error, text_of(twin)
    [stored] = [
        d
        for d in sandbox.sandbox.data.org(sandbox.org).message_drafts.values()
        if d.body_html and "crew arrives at 9" in d.body_html
    ]
    assert stored.scheduled_send_at is not None  # ground truth: the twin is queued
    out = twin.structured_content
    assert out["outcome"] == "already_saved" and out["draft"]["draft_id"] == stored.draft_id
    assert out["sent"] is True and out["draft"]["status"] == "queued", text_of(twin)
    assert out["draft"]["scheduled_send_at"] is not None
    assert "delete_message_draft" not in text_of(twin)
    assert len(posted(sandbox, "/message-drafts")) == 1


# --- a deleted draft comes back whole, or says exactly what is left out ----------------------------------


def numbered_lines(n: int) -> list[str]:
    return [f"Line {i:05d} of the quote terms, kept word for word." for i in range(n)]


async def delete_after_saving(sb: RunningSandbox, lines: list[str]):
    async with connect(sb, elicitation_callback=Human("accept", delete=True)) as client:
        saved = await client.call_tool("create_message_draft", {**EMAIL, "body_text": "\n\n".join(lines)})
        assert not saved.is_error, text_of(saved)
        draft_id = saved.structured_content["draft"]["draft_id"]
        r = await client.call_tool("delete_message_draft", {"draft_id": draft_id})
    assert not r.is_error and r.structured_content["outcome"] == "deleted", text_of(r)
    assert draft_id not in sb.sandbox.data.org(sb.org).message_drafts
    return r


async def test_a_deleted_draft_longer_than_the_detailed_clip_is_returned_whole(sandbox: RunningSandbox):
    lines = numbered_lines(300)  # ~15,000 characters: more than the 8,000 a detailed view shows
    r = await delete_after_saving(sandbox, lines)
    body = r.structured_content["draft"]["body_text"]
    assert [ln for ln in body.splitlines() if ln.strip()] == lines
    assert all(ln in text_of(r) for ln in lines) and "left out" not in text_of(r)


async def test_a_deleted_draft_too_long_for_the_budget_says_what_was_left_out(sandbox: RunningSandbox):
    lines = numbered_lines(900)  # ~45,000 characters: more than the 24,000 a result holds
    r = await delete_after_saving(sandbox, lines)
    text = text_of(r)
    assert len(text) <= 24000
    shown = [ln for ln in lines if ln in text]
    assert shown == lines[: len(shown)] and 0 < len(shown) < len(lines)  # a prefix, cut on a line
    match = re.search(r"([\d,]+) more characters of this draft were left out", text)
    assert match, text[-600:]
    whole = "\n\n".join(lines)
    assert int(match.group(1).replace(",", "")) == len(whole) - len("\n\n".join(shown))
    assert "HYPERREP_MAX_OUTPUT_CHARS" in text


# --- unread leaves spam out on the API path too ---------------------------------------------------------


async def test_unread_on_the_api_path_leaves_spam_out_unless_asked_for(sandbox: RunningSandbox):
    org = sandbox.sandbox.data.org(sandbox.org)
    newest_unread = next(c for c in org.conversations_by_activity() if not c.is_read)
    org.conversations[newest_unread.conversation_id] = dataclasses.replace(newest_unread, folder="spam")
    truth = [
        c.conversation_id for c in org.conversations_by_activity() if not c.is_read and c.folder != "spam"
    ]
    async with connect(sandbox) as client:  # no channel, awaiting_reply or sort: the API path
        listed = await client.call_tool("list_conversations", {"unread_only": True, "limit": 20})
        spam = await client.call_tool("list_conversations", {"unread_only": True, "folder": "spam"})
    ids = [r["conversation_id"] for r in listed.structured_content["conversations"]]
    assert newest_unread.conversation_id not in ids and ids == truth[: len(ids)] and len(ids) == 20
    assert "unread only, spam left out" in text_of(listed)
    assert newest_unread.conversation_id in [
        r["conversation_id"] for r in spam.structured_content["conversations"]
    ]
    assert "spam left out" not in text_of(spam)


# --- prompts read "today" from the server's clock, in HYPERREP_TIMEZONE -------------------------------


async def test_prompts_date_today_by_the_server_clock_and_zone(sandbox: RunningSandbox):
    # 03:00 UTC on the 23rd is still the 22nd in Los Angeles; the machine's own date is irrelevant.
    clock = lambda: datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # noqa: E731
    async with connect(sandbox, clock=clock, timezone="America/Los_Angeles") as client:
        report = await client.get_prompt("response_rate_report", {})
        triage = await client.get_prompt("triage_inbox", {})
        start = await client.complete(
            PromptReference(type="ref/prompt", name="response_rate_report"),
            {"name": "start_date", "value": ""},
        )
    text = report.messages[0].content.text
    assert 'start_date="2026-10-23", end_date="2026-11-22"' in text and "today is 2026-11-22" in text
    assert 'inbox_overview(start_date="2026-11-15"' in triage.messages[0].content.text
    assert start.completion.values == ["2026-11-15", "2026-10-23", "2026-08-24"]


# --- suggestions in errors name only tools this server serves ------------------------------------------


async def test_error_suggestions_skip_excluded_tools(sandbox: RunningSandbox):
    excluded = ("get_conversation_thread", "list_message_drafts", "get_contact")
    promoted = next(iter(sandbox.sandbox.data.fixtures.promoted_message_draft_ids))
    async with connect(sandbox, exclude_tools=",".join(excluded)) as client:
        sent = await client.call_tool("get_message_draft", {"draft_id": promoted})
        missing = await client.call_tool("get_message_draft", {"draft_id": "HR_id_NoSuchDraftAtAll0000"})
        twin = await client.call_tool("create_contact", {"name": "D. Prince", "email": "diana@example.com"})
    for r, says in ((sent, "already sent"), (missing, "No message draft"), (twin, "already exists")):
        text = text_of(r)
        assert r.is_error and says in text, text
        assert not [name for name in excluded if name in text], text
    async with connect(sandbox) as client:  # served: still named
        served = await client.call_tool("get_message_draft", {"draft_id": promoted})
        again = await client.call_tool("create_contact", {"name": "D. Prince", "email": "diana@example.com"})
    assert "get_conversation_thread(conversation_id=" in text_of(served)
    assert "get_contact(contact_id=" in text_of(again)


# --- one refusal for "a period and dates", on every windowed tool ------------------------------------


@pytest.mark.parametrize("tool", ["search_messages", "get_response_times", "inbox_overview"])
async def test_period_with_dates_is_refused_in_the_same_words_everywhere(sandbox: RunningSandbox, tool: str):
    args = {
        "period": "this_month",
        "start_date": "2026-11-01",
        **({"query": "roof"} if tool == "search_messages" else {}),
    }
    async with connect(sandbox) as client:
        await client.call_tool("list_organizations", {})
        before = len(sandbox.sandbox.requests)
        r = await client.call_tool(tool, args)
    assert r.is_error and "period='this_month' cannot be combined with start_date" in text_of(r), text_of(r)
    assert sandbox.sandbox.requests[before:] == []
