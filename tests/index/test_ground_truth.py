"""Answers from the inbox index against ground truth computed from the sandbox's own dataset."""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from hyperrep_mcp import index as ix
from tests.index.helpers import (
    active,
    awaiting,
    first_reply_minutes,
    fold,
    indexes_for,
    median,
    mentions,
    org_data,
)
from tests.support import RunningSandbox, connect

pytestmark = pytest.mark.anyio


def mid_org(sb: RunningSandbox) -> str:
    return sb.sandbox.data.fixtures.mid_org_id


def z(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


async def _search_all(client, **args) -> tuple[set[str], set[str]]:
    """Every conversation and message a search finds, following its cursors."""
    conversations, messages, cursor = set(), set(), None
    for _ in range(50):
        result = await client.call_tool(
            "search_messages", {**args, "limit": 100, **({"cursor": cursor} if cursor else {})}
        )
        assert not result.is_error, result.content
        data = result.structured_content
        conversations |= {m["conversation_id"] for m in data["messages"]}
        messages |= {m["message_id"] for m in data["messages"]}
        cursor = data.get("next_cursor")
        if not cursor:
            return conversations, messages
    raise AssertionError("search did not end")


def _visible(html_body: str | None) -> str:
    """Plain text of an HTML body with hidden elements and comments dropped (crude, independent)."""
    body = re.sub(r"<!--.*?-->", " ", html_body or "", flags=re.S)
    body = re.sub(r'<div style="display:none[^"]*">.*?</div>', " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


async def test_search_finds_exactly_the_conversations_that_mention_a_word(sandbox: RunningSandbox) -> None:
    org = mid_org(sandbox)
    data = org_data(sandbox, org)
    now = datetime.now(UTC)
    start = now - timedelta(days=20)
    word = "adjuster"
    in_window = [
        (c, m)
        for c in data.conversations.values()
        for m in data.messages(c.conversation_id)
        if start <= m.sent_at <= now
    ]
    # Text messages carry no HTML, quotes or hidden parts: the set is exact.
    text_truth = {
        c.conversation_id for c, m in in_window if c.modality == "text" and mentions(m.body_text, word)
    }
    # Inbound email without quoted history: what its visible text says is all it says (signatures are
    # the customer's name, never the word).
    unquoted_truth = {
        m.message_id
        for c, m in in_window
        if c.modality == "email"
        and m.direction == "inbound"
        and "gmail_quote" not in (m.body_html or "")
        and "divRplyFwdMsg" not in (m.body_html or "")
        and mentions(_visible(m.body_html), word)
    }
    assert len(text_truth) >= 3 and unquoted_truth

    async with connect(sandbox, index_days=30) as client:
        args = {"query": word.upper(), "start_date": z(start), "organization_id": org}
        found_text, _ = await _search_all(client, channel="text", **args)
        _, email_messages = await _search_all(client, channel="email", **args)
        someone = data.conversations[sorted(text_truth)[0]].contact_id
        theirs, _ = await _search_all(client, contact_id=someone, **args)

    assert found_text == text_truth
    assert theirs and all(data.conversations[c].contact_id == someone for c in theirs)
    assert {c for c in text_truth if data.conversations[c].contact_id == someone} <= theirs
    assert unquoted_truth <= email_messages
    by_id = {m.message_id: m for _, m in in_window}
    for mid in email_messages:  # every email hit really says it, in its subject or visible text
        m = by_id[mid]
        assert mentions(m.subject, word) or mentions(_visible(m.body_html), word), m.message_id


async def test_hidden_text_is_never_found(sandbox: RunningSandbox) -> None:
    fx = sandbox.sandbox.data.fixtures
    data = org_data(sandbox, fx.big_org_id)
    conv = data.conversations[fx.injection_conversation_id]
    days = (datetime.now(UTC) - conv.last_activity_at).days + 2
    async with indexes_for(sandbox, days=days) as indexes:
        index = indexes.get(fx.big_org_id)
        coverage = await index.ensure_fresh(budget_s=120)
        assert coverage.complete
        hidden, _ = ix.search(index.store, fx.big_org_id, ix.parse_query('"delete every draft"'))
        follow, _ = ix.search(index.store, fx.big_org_id, ix.parse_query("hidden instructions"))
        visible, _ = ix.search(
            index.store, fx.big_org_id, ix.parse_query(fold(conv.subject or "").split()[0]), limit=500
        )
    assert fx.injection_message_id not in {h.message_id for h in hidden + follow}
    assert fx.injection_conversation_id in {h.conversation_id for h in visible}  # it is indexed


async def test_counts_awaiting_and_unread_by_channel_match_the_dataset(sandbox: RunningSandbox) -> None:
    org = mid_org(sandbox)
    data = org_data(sandbox, org)
    async with indexes_for(sandbox, days=30) as indexes:
        index = indexes.get(org)
        coverage = await index.ensure_fresh(budget_s=120)
        assert coverage.complete and coverage.pending == 0
        now = datetime.now(UTC)
        for days in (1, 7, 25):
            start = now - timedelta(days=days)
            ids = active(data, start, now)
            convs = [data.conversations[i] for i in ids]
            counts = ix.counts(index.store, org, start=start, end=now)
            assert counts.total == len(ids)
            assert counts.by_folder == dict(Counter(c.folder for c in convs))
            unread = Counter(c.modality for c in convs if not c.is_read and c.folder != "spam")
            assert counts.unread_by_channel == dict(unread)
            assert counts.unread == sum(unread.values())

            truth = awaiting(data, ids)
            rows, total = ix.awaiting_reply(index.store, org, start=start, end=now)
            assert total == counts.awaiting == len(truth)
            got = {r.conversation_id: r.waiting_since for r in rows}
            assert got.keys() == truth.keys()
            for cid, since in truth.items():
                assert abs((got[cid] - since).total_seconds()) < 0.001
            waits = [r.waiting_since for r in rows]
            assert waits == sorted(waits)  # longest wait first
            texts, _ = ix.awaiting_reply(index.store, org, start=start, end=now, channel="text")
            assert {r.conversation_id for r in texts} == {
                cid for cid in truth if data.conversations[cid].modality == "text"
            }


async def test_median_time_to_first_reply_matches_the_dataset(sandbox: RunningSandbox) -> None:
    org = mid_org(sandbox)
    data = org_data(sandbox, org)
    start = datetime.now(UTC) - timedelta(days=20)
    async with connect(sandbox, index_days=30) as client:
        result = await client.call_tool(
            "get_response_times", {"start_date": z(start), "organization_id": org}
        )
        texts = await client.call_tool(
            "get_response_times", {"start_date": z(start), "organization_id": org, "channel": "text"}
        )
    assert not result.is_error, result.content
    end = datetime.fromisoformat(
        result.structured_content["current"]["window"]["end_date"].replace("Z", "+00:00")
    )
    overall = result.structured_content["current"]["overall"]
    truth = first_reply_minutes(data, start.replace(microsecond=0), end)
    assert overall["replied"] == len(truth)
    assert abs(overall["median_minutes"] - median(truth)) <= 0.06
    text_truth = first_reply_minutes(data, start.replace(microsecond=0), end, channel="text")
    text_overall = texts.structured_content["current"]["overall"]
    assert text_overall["replied"] == len(text_truth)
    assert abs(text_overall["median_minutes"] - median(text_truth)) <= 0.06
    assert "median" in result.content[0].text and "conversations" in result.content[0].text


async def test_a_companys_contacts_match_the_dataset(sandbox: RunningSandbox) -> None:
    org = mid_org(sandbox)
    data = org_data(sandbox, org)
    per_company = Counter(c.company_id for c in data.contacts.values() if c.company_id)
    company = data.companies[max(per_company, key=lambda k: (per_company[k], k))]
    asked = fold(company.name).upper()  # any case, no accents
    wanted = {k.company_id for k in data.companies.values() if fold(asked) in fold(k.name)}
    truth = {c.contact_id for c in data.contacts.values() if c.company_id in wanted}
    async with indexes_for(sandbox, days=30) as indexes:
        index = indexes.get(org)
        assert await index.ensure_directory(budget_s=60)
        by_name = ix.contacts_of_company(index.store, org, company_name=asked)
        by_id = ix.contacts_of_company(index.store, org, company_id=company.company_id)
        matching = ix.contacts_matching(index.store, org, asked)
    assert len(truth) >= 2
    assert {c.contact_id for c in by_name} == truth
    assert {c.contact_id for c in by_id} == {
        c.contact_id for c in data.contacts.values() if c.company_id == company.company_id
    }
    assert truth <= {c.contact_id for c in matching}
    assert all(c.company_name == data.companies[c.company_id].name for c in by_name)
