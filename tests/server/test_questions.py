"""SPEC section 7, the read questions: each answered by the listed calls, the way a model would make
them (following the IDs and suggested calls in the text), with the answer checked against the
sandbox's own data. (The write questions live with the write tools' tests.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from mcp import Client

from hyperrep_mcp.render.text import message_text, strip_invisible
from hyperrep_mcp.sandbox.dataset import response_rate
from tests.index import helpers as truth
from tests.support import RunningSandbox, text_of

pytestmark = pytest.mark.anyio


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def suggested(text: str, tool: str) -> dict[str, str]:
    """The arguments of the first suggested call of `tool` in a result's text."""
    match = re.search(rf"{tool}\(([^)]*)\)", text)
    assert match, f"no {tool}(...) in:\n{text}"
    return dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))


async def ask(client: Client, tool: str, args: dict) -> tuple[str, dict]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, text_of(result)
    return text_of(result), result.structured_content


async def test_whos_waiting_on_a_reply_from_us_this_week(client: Client, sandbox: RunningSandbox):
    org = sandbox.sandbox.data.org(sandbox.org)
    text, sc = await ask(client, "inbox_overview", {})
    start, end = parse(sc["window"]["start_date"]), parse(sc["window"]["end_date"])
    assert timedelta(days=7) == end - start and abs(end - datetime.now(UTC)) < timedelta(minutes=1)

    # Every conversation of the week awaiting our reply is counted; the ten who have waited longest
    # are listed, longest first, with how long they have waited and their own last words.
    waiting = truth.awaiting(org, truth.active(org, start, end))
    assert len(waiting) > 10
    assert f"{len(waiting)} awaiting our reply" in text
    longest = sorted(waiting, key=lambda cid: waiting[cid])[:10]
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(lines) == 10
    now = datetime.now(UTC)
    for line, cid in zip(lines, longest, strict=True):
        conv = org.conversations[cid]
        contact = org.contacts[conv.contact_id]
        who = strip_invisible(contact.name or contact.email or "").strip()
        assert line.startswith(f"- {who} · {conv.modality} · waiting ")
        assert line.endswith(f"conversation_id={cid}")
        days = re.search(r"waiting (\d+) d", line)
        assert days is None or int(days.group(1)) == (now - waiting[cid]).days
        last = org.messages(cid)[-1]
        assert last.direction == "inbound"
        # The gist is the customer's own words from that last message.
        words = message_text(last.body_html, last.body_text, concise=True).body.split()
        gist = re.search(r'"(.+)"', line).group(1).rstrip("…").split()
        assert gist and all(w in words for w in gist[:-1])
    assert (
        f"Awaiting our reply (the customer wrote last) — 10 of {len(waiting)} shown, longest wait first"
        in text
    )

    # The suggested next read is the longest-waiting one nobody has drafted a reply to yet (a saved
    # draft has no scheduled send); which ones have drafts moves with the demo's clock.
    def drafted(conversation_id: str) -> bool:
        draft = org.response_draft_for(conversation_id)
        return draft is not None and draft.scheduled_send_at is None

    first = next((cid for cid in longest if not drafted(cid)), longest[0])
    assert f'get_conversation_thread(conversation_id="{first}")' in text


async def test_show_me_diana_prince_s_last_conversation(client: Client, sandbox: RunningSandbox):
    data = sandbox.sandbox.data
    org = data.org(sandbox.org)
    diana = org.contacts[data.fixtures.diana_contact_id]

    text, sc = await ask(client, "list_contacts", {"query": "diana"})
    assert "Diana Prince" in text
    contact_id = suggested(text, "get_contact")["contact_id"]
    assert contact_id == diana.contact_id

    text, sc = await ask(client, "get_contact", {"contact_id": contact_id})
    assert sc["contact"]["name"] == "Diana Prince"
    conversation_id = suggested(text, "get_conversation_thread")["conversation_id"]
    latest = data.contact_conversations(sandbox.org, diana.contact_id)[0]
    assert conversation_id == latest.conversation_id == data.fixtures.diana_email_conversation_id

    text, sc = await ask(client, "get_conversation_thread", {"conversation_id": conversation_id})
    assert sc["contact"]["contact_id"] == diana.contact_id
    assert text.startswith(f"Conversation in {org.org.name} with Diana Prince · {diana.email}")
    messages = org.messages(conversation_id)
    assert [m["message_id"] for m in sc["messages"]] == [m.message_id for m in messages]
    for shown, message in zip(sc["messages"], messages, strict=True):
        expected = message_text(message.body_html, message.body_text, concise=True).body
        assert shown["text"] == expected
        assert expected.splitlines()[0] in text
    assert messages[-1].direction == "inbound"
    assert "The last message is from the customer: awaiting our reply." in text


@pytest.mark.parametrize("how", ["period", "dates"])
async def test_response_rate_this_month_vs_last_month(client: Client, sandbox: RunningSandbox, how: str):
    org = sandbox.sandbox.data.org(sandbox.org)
    args: dict = {"compare_to_previous": True}
    today = datetime.now(UTC).date()
    first = today.replace(day=1)
    if how == "period":  # SPEC 7: this month so far against the whole of last month
        args["period"] = "this_month"
    else:  # what a model may pass instead: the equal window before
        args["start_date"] = first.isoformat()
    text, sc = await ask(client, "get_response_rate", args)
    current, previous = sc["current"], sc["previous"]
    assert parse(current["window"]["start_date"]) == datetime(first.year, first.month, 1, tzinfo=UTC)
    if how == "period":
        last_month = (first - timedelta(days=1)).replace(day=1)
        assert parse(previous["window"]["start_date"]) == datetime(
            last_month.year, last_month.month, 1, tzinfo=UTC
        )
        assert parse(previous["window"]["end_date"]) == parse(current["window"]["start_date"]) - timedelta(
            microseconds=1
        )
    else:
        assert current["window"]["start_date"] == previous["window"]["end_date"]
    for fig in (current, previous):
        truth = response_rate(org, parse(fig["window"]["start_date"]), parse(fig["window"]["end_date"]))
        assert fig["received"] == truth["numConversationsReceived"]
        assert fig["responded"] == truth["numConversationsRespondedTo"]
        assert fig["rate_percent"] == round(100 * truth["responseRate"], 1)
    change = round(current["rate_percent"] - previous["rate_percent"], 1)
    assert sc["change_points"] == change
    lines = text.splitlines()
    assert lines[0].startswith(f"Response rate in {org.org.name}, ")
    assert f": {current['rate_percent']:g}% ({current['responded']} of {current['received']} " in lines[0]
    assert lines[1].startswith("Previous window, ")
    assert f": {previous['rate_percent']:g}% ({previous['responded']} of {previous['received']} " in lines[1]
    assert lines[2].startswith(f"Change: {change:+g} percentage points")


async def test_which_customers_mentioned_insurance_this_month(client: Client, sandbox: RunningSandbox):
    org = sandbox.sandbox.data.org(sandbox.org)
    text, sc = await ask(
        client, "search_messages", {"query": "insurance", "period": "this_month", "limit": 100}
    )
    start, end = parse(sc["window"]["start_date"]), parse(sc["window"]["end_date"])
    assert start == datetime(start.year, start.month, 1, tzinfo=UTC)
    in_month = [
        m
        for c in org.conversations.values()
        if c.last_activity_at >= start
        for m in org.messages(c.conversation_id)
        if start <= m.sent_at <= end
    ]
    # Every message whose subject or own visible words say "insurance" is found; nothing found lacks it.
    said = {
        m.message_id
        for m in in_month
        if truth.mentions(m.subject, "insurance")
        or truth.mentions(message_text(m.body_html, m.body_text, concise=True).body, "insurance")
    }
    anywhere = {
        m.message_id
        for m in in_month
        if "insurance" in truth.fold(f"{m.subject} {m.body_text or ''} {m.body_html or ''}")
    }
    found = {h["message_id"] for h in sc["messages"]}
    assert said and said <= found <= anywhere
    assert sc["total_matches"] == len(found) <= 100
    first = sc["messages"][0]
    assert f'get_conversation_thread(conversation_id="{first["conversation_id"]}")' in text


async def test_how_fast_do_we_answer_texts(client: Client, sandbox: RunningSandbox):
    org = sandbox.sandbox.data.org(sandbox.org)
    text, sc = await ask(client, "get_response_times", {"channel": "text"})
    window = sc["current"]["window"]
    start, end = parse(window["start_date"]), parse(window["end_date"])
    assert timedelta(days=30) - (end - start) < timedelta(minutes=1)
    minutes = truth.first_reply_minutes(org, start, end, channel="text")
    figures = sc["current"]["overall"]
    assert figures["replied"] == len(minutes) > 0
    assert abs(figures["median_minutes"] - truth.median(minutes)) < 0.1
    assert "median " in text


async def test_who_has_waited_longest_in_one_call(client: Client, sandbox: RunningSandbox):
    org = sandbox.sandbox.data.org(sandbox.org)
    text, sc = await ask(
        client,
        "list_conversations",
        {"awaiting_reply": True, "sort": "longest_waiting", "period": "last_7_days"},
    )
    start, end = parse(sc["window"]["start_date"]), parse(sc["window"]["end_date"])
    waiting = truth.awaiting(org, truth.active(org, start, end))
    assert sc["total"] == len(waiting)
    longest = min(waiting, key=lambda cid: waiting[cid])
    assert sc["conversations"][0]["conversation_id"] == longest
    assert re.search(r"waiting \d+ d \d+ h", text.splitlines()[2])


async def test_how_many_unread_text_conversations_in_one_call(client: Client, sandbox: RunningSandbox):
    org = sandbox.sandbox.data.org(sandbox.org)
    text, sc = await ask(client, "inbox_overview", {})
    start, end = parse(sc["window"]["start_date"]), parse(sc["window"]["end_date"])
    unread_texts = [
        cid
        for cid in truth.active(org, start, end)
        if org.conversations[cid].modality == "text"
        and not org.conversations[cid].is_read
        and org.conversations[cid].folder != "spam"
    ]
    assert sc["unread_by_channel"]["text"] == len(unread_texts) > 0
    assert f"text {len(unread_texts)})" in text


async def test_who_are_our_contacts_at_a_company_in_one_call(client: Client, sandbox: RunningSandbox):
    org = sandbox.sandbox.data.org(sandbox.org)
    company = next(c for c in org.companies.values() if c.name == "Cedar Point Senior Living")
    people = {c.contact_id for c in org.contacts.values() if c.company_id == company.company_id}
    text, sc = await ask(client, "list_contacts", {"query": company.name})
    assert {c["contact_id"] for c in sc["contacts"]} == people
    assert all(f"at {company.name}" in line for line in text.splitlines() if line.startswith("- "))
