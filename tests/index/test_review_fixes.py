"""Review of the inbox index (issue 14 follow-up): each defect found, against the sandbox's own data.

Deleted conversations leave the index whole (rows, messages, search rows); folder and read-state
changes show within a minute and coverage says when they were last listed; a failing directory or
conversation is noted, never aborting or erased; unsent outbound messages are no reply; signatures
are searchable; a row is overlaid on an API listing only when it is current.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx2
import pytest

from hyperrep_mcp import index as ix
from hyperrep_mcp.api import HyperRepClient
from hyperrep_mcp.index import Indexes
from hyperrep_mcp.index.store import StoredMessage
from hyperrep_mcp.sandbox.records import Message
from tests.index.helpers import active, awaiting, indexes_for, org_data
from tests.support import SANDBOX_KEY, RunningSandbox, connect, text_of

pytestmark = pytest.mark.anyio

DAYS = 14


def stored_rows(store: ix.Store, org: str, cid: str) -> tuple[int, int, int]:
    """(conversation rows, message rows, search rows) the index holds for one conversation."""
    q = store.con.execute
    conv = q(
        "select count(*) from conversations where org_id = ? and conversation_id = ?", (org, cid)
    ).fetchone()[0]
    ids = [r[0] for r in q("select id from messages where org_id = ? and conversation_id = ?", (org, cid))]
    fts = sum(q("select count(*) from message_fts where rowid = ?", (i,)).fetchone()[0] for i in ids)
    return conv, len(ids), fts


def a_word_of(store: ix.Store, org: str, cid: str) -> str:
    """A word the index holds for this conversation (a probe: search must stop finding it there)."""
    bodies = store.con.execute(
        "select body from messages where org_id = ? and conversation_id = ?", (org, cid)
    ).fetchall()
    return max((w for (b,) in bodies for w in b.split() if w.isalpha()), key=len)


def age_full_listing(index: ix.OrgIndex, seconds: float) -> None:
    """As if the last whole listing had happened `seconds` ago (time passing, without waiting)."""
    index.store.set_sync_state(index.org, last_full_listing=time.time() - seconds)


def waiting_now(sb: RunningSandbox) -> tuple[dict[str, datetime], datetime, datetime]:
    data = org_data(sb, sb.org)
    now = datetime.now(UTC)
    start = now - timedelta(days=DAYS)
    return awaiting(data, active(data, start, now)), start, now


async def test_a_conversation_deleted_upstream_leaves_the_index_after_a_full_listing(sandbox) -> None:
    data = org_data(sandbox, sandbox.org)
    async with indexes_for(sandbox, days=DAYS) as indexes:
        index = indexes.get(sandbox.org)
        assert (await index.ensure_fresh(budget_s=120)).complete
        truth, start, now = waiting_now(sandbox)
        gone = sorted(truth)[0]
        word = a_word_of(index.store, sandbox.org, gone)
        assert stored_rows(index.store, sandbox.org, gone)[1] > 0
        del data.conversations[gone]
        age_full_listing(index, 700)  # due for a whole listing under any setting
        await index.ensure_fresh(budget_s=120)
        assert index.last_report is not None and index.last_report.full_listing
        assert stored_rows(index.store, sandbox.org, gone) == (0, 0, 0)
        hits, _ = ix.search(index.store, sandbox.org, ix.parse_query(word), limit=500)
        assert gone not in {h.conversation_id for h in hits}
        rows, _ = ix.awaiting_reply(index.store, sandbox.org, start=start, end=now)
        assert {r.conversation_id for r in rows} == set(truth) - {gone}
        conversations, messages = index.store.counts(sandbox.org)
        assert (
            conversations
            == index.store.con.execute(
                "select count(*) from conversations where org_id = ?", (sandbox.org,)
            ).fetchone()[0]
        )
        assert messages == index.store.con.execute("select count(*) from message_fts").fetchone()[0]


async def test_a_404_while_reading_messages_deletes_messages_and_search_rows_too(sandbox) -> None:
    data = org_data(sandbox, sandbox.org)
    async with indexes_for(sandbox, days=DAYS) as indexes:
        index = indexes.get(sandbox.org)
        await index.ensure_fresh(budget_s=120)
        truth, _, _ = waiting_now(sandbox)
        gone = sorted(truth)[1]
        word = a_word_of(index.store, sandbox.org, gone)
        del data.conversations[gone]
        # A newer activity than stored makes the next sync read it again: the API answers 404.
        with index.store.transaction() as con:
            con.execute(
                "update conversations set fetched_activity = null where org_id = ? and conversation_id = ?",
                (sandbox.org, gone),
            )
        await index.ensure_fresh(budget_s=120)
        reads = [r for r in sandbox.sandbox.requests if r.path.endswith(f"{gone}/messages")]
        assert reads[-1].status == 404
        assert stored_rows(index.store, sandbox.org, gone) == (0, 0, 0)
        hits, _ = ix.search(index.store, sandbox.org, ix.parse_query(word), limit=500)
        assert gone not in {h.conversation_id for h in hits}


def test_delete_conversation_is_whole_and_search_never_returns_orphans() -> None:
    store, org = ix.Store(), "org"
    t0 = datetime(2026, 12, 1, 9, tzinfo=UTC).timestamp()
    for cid in ("c1", "c2"):
        store.upsert_conversations(
            org, [{"conversation_id": cid, "folder": "inbox", "is_read": False, "last_activity_at": t0}]
        )
        msg = StoredMessage(f"m-{cid}", "inbound", "email", None, t0, t0, False, "Dana", "roof leaks again")
        store.replace_messages(org, cid, [msg], t0)
    store.delete_conversation(org, "c1")
    assert stored_rows(store, org, "c1") == (0, 0, 0)
    assert store.counts(org) == (1, 1)
    # A conversation row gone by any other path: its messages are never a search answer.
    with store.transaction() as con:
        con.execute("delete from conversations where conversation_id = 'c2'")
    assert ix.search(store, org, ix.parse_query("leaks")) == ([], 0)
    # Messages arriving for a conversation deleted meanwhile are not stored.
    store.replace_messages(org, "c1", [msg], t0)
    assert store.con.execute("select count(*) from messages where conversation_id = 'c1'").fetchone()[0] == 0


async def test_folder_and_read_state_show_within_a_minute_and_coverage_says_when_listed(sandbox) -> None:
    data = org_data(sandbox, sandbox.org)
    async with indexes_for(sandbox, days=DAYS) as indexes:
        index = indexes.get(sandbox.org)
        await index.ensure_fresh(budget_s=120)
        truth, start, now = waiting_now(sandbox)
        moved = sorted(truth)[2]
        # The operator archives and reads it: last_activity_at does not move.
        data.conversations[moved] = dataclasses.replace(
            data.conversations[moved], folder="archived", is_read=True
        )
        age_full_listing(index, 45)  # recent: an incremental listing, which cannot see the move
        coverage = await index.ensure_fresh(budget_s=60)
        assert not index.last_report.full_listing
        assert coverage.states_listed is not None and coverage.last_synced is not None
        assert coverage.last_synced - coverage.states_listed >= timedelta(seconds=40)
        assert "folders/read state listed 4" in coverage.describe()  # 45 s, said as such
        age_full_listing(index, 61)  # a minute old: the asked window is listed whole again
        listed_before = len(sandbox.sandbox.requests)
        coverage = await index.ensure_fresh(start, budget_s=60)
        assert index.last_report.full_listing
        assert index.last_report.conversations_fetched == 0  # no activity changed: no messages read
        relist = sandbox.sandbox.requests[listed_before:]
        assert len(relist) == index.last_report.listing_pages
        # Cut where the stored conversations lie: every slice one page, all walked at once (~1 RTT).
        assert all("cursor" not in r.query for r in relist), [r.query for r in relist]
        assert len(relist) <= len(active(data, start, now)) // 80 + 1
        assert coverage.states_listed == coverage.last_synced
        assert "folders/read state" not in coverage.describe()
        rows, _ = ix.awaiting_reply(index.store, sandbox.org, start=start, end=now)
        assert {r.conversation_id for r in rows} == set(truth) - {moved}
        row = ix.conversation_rows(index.store, sandbox.org, [moved])[moved]
        assert (row.folder, row.is_read) == ("archived", True)


class FailingPaths(httpx2.AsyncBaseTransport):
    """The real HTTP transport, except that paths matching `fails` answer 503 (a broken endpoint)."""

    def __init__(self, fails: Callable[[str], bool]) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.fails = fails

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if self.fails(request.url.path):
            return httpx2.Response(503, json={"detail": "Service unavailable"})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@asynccontextmanager
async def failing(sb: RunningSandbox, fails: Callable[[str], bool]) -> AsyncIterator[Indexes]:
    async with (
        HyperRepClient(
            SANDBOX_KEY,
            base_url=sb.url,
            transport=FailingPaths(fails),
            max_retries=1,
            retry_wait_initial=0.01,
            retry_wait_max=0.02,
        ) as api,
        Indexes(api, days=DAYS) as indexes,
    ):
        yield indexes


async def test_a_failing_directory_keeps_the_old_one_and_the_conversations_sync_on(sandbox) -> None:
    data = org_data(sandbox, sandbox.org)
    broken = {"on": True}
    truth_conversations = set(active(data, datetime.now(UTC) - timedelta(days=DAYS), datetime.now(UTC)))
    async with failing(sandbox, lambda path: broken["on"] and path.endswith("/companies")) as indexes:
        index = indexes.get(sandbox.org)
        coverage = await index.ensure_fresh(budget_s=120)  # the first sync: nothing stored before
        assert coverage.complete
        held = {
            r[0]
            for r in index.store.con.execute(
                "select conversation_id from conversations where org_id = ?", (sandbox.org,)
            )
        }
        assert truth_conversations <= held
        assert coverage.error is not None and "contacts/companies" in coverage.error
        assert "contacts/companies" in coverage.describe()

        broken["on"] = False
        assert (await index.ensure_directory(budget_s=60)) is True
        contacts = len(index.store.known_contact_ids(sandbox.org))
        assert contacts == len(data.contacts)
        # Due again, failing again: the contacts stored before stay.
        index.store.set_sync_state(sandbox.org, directory_synced=0.0)
        broken["on"] = True
        coverage = await index.ensure_fresh(budget_s=120)
        assert coverage.error is not None and "contacts/companies" in coverage.error
        assert len(index.store.known_contact_ids(sandbox.org)) == contacts
        broken["on"] = False
        assert (await index.ensure_fresh(budget_s=120)).error is None


async def test_why_a_conversation_could_not_be_read_stays_in_coverage(sandbox) -> None:
    truth, _, _ = waiting_now(sandbox)
    bad = sorted(truth)[3]
    async with failing(sandbox, lambda path: path.endswith(f"/{bad}/messages")) as indexes:
        index = indexes.get(sandbox.org)
        coverage = await index.ensure_fresh(budget_s=120)
        assert index.last_report is not None and index.last_report.failed == 1
        assert coverage.error == "1 conversations could not be read (HyperRep errors)"
        assert coverage.pending == 1 and not coverage.complete
        assert "could not be read" in coverage.describe()


def test_an_outbound_message_never_sent_is_no_reply() -> None:
    store, org = ix.Store(), "org"
    t0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
    later = (t0 + timedelta(hours=5)).timestamp()
    store.upsert_conversations(
        org,
        [
            {
                "conversation_id": "c1",
                "folder": "inbox",
                "is_read": False,
                "start_at": t0.timestamp(),
                "last_activity_at": later,
            }
        ],
    )
    inbound = StoredMessage(
        "m1", "inbound", "email", "Leak", t0.timestamp(), t0.timestamp(), False, "Dana", "Leaks"
    )
    # Our reply, queued or failed: created later, never sent (no sent_at).
    unsent = StoredMessage("m2", "outbound", "email", None, None, later, True, "Agent", "We'll come by.")
    store.replace_messages(org, "c1", [inbound, unsent], later)
    rows, total = ix.awaiting_reply(store, org)
    assert total == 1 and rows[0].waiting_since == t0 and rows[0].last_direction == "inbound"
    times = ix.response_times(store, org, start=t0 - timedelta(days=1), end=t0 + timedelta(days=1))
    assert (times.overall.unanswered, times.overall.replied) == (1, 0)


async def test_signatures_are_searchable_quoted_history_and_hidden_text_are_not(sandbox) -> None:
    data = org_data(sandbox, sandbox.org)
    async with indexes_for(sandbox, days=DAYS) as indexes:
        index = indexes.get(sandbox.org)
        await index.ensure_fresh(budget_s=120)
        conv = next(c for c in data.conversations.values() if c.folder == "inbox" and c.modality == "email")
        now = sandbox.sandbox.now()
        signed = (
            "Hi,\nCan you quote the gutters?\n\nThanks,\nDana Whitfield\n"
            "Claims adjuster, Quuxbridge Insurance\n555-0101\n\n"
            "On Mon, Dec 1, 2026 at 9:00 AM Agent <agent@example.com> wrote:\n> the zorblax offer stands"
        )
        base = {
            "conversation_id": conv.conversation_id,
            "direction": "inbound",
            "modality": "email",
            "subject": None,
            "sender_name": "Dana Whitfield",
            "sender_email": "dana@example.com",
            "sender_phone_number": None,
            "is_read": False,
        }
        data.append_message(
            Message(message_id="sig-1", body_html=None, body_text=signed, sent_at=now, **base)
        )
        data.append_message(
            Message(
                message_id="hid-1",
                body_html='<p>See the quokkagram photos.</p><div style="display:none">plughword</div>',
                body_text=None,
                sent_at=now + timedelta(seconds=1),
                **base,
            )
        )
        await index.ensure_fresh(budget_s=60)
        found = {
            text: {h.message_id for h in ix.search(index.store, sandbox.org, ix.parse_query(text))[0]}
            for text in ("Quuxbridge", "claims adjuster", "zorblax", "plughword", "quokkagram")
        }
        assert found == {
            "Quuxbridge": {"sig-1"},
            "claims adjuster": {"sig-1"},
            "zorblax": set(),
            "plughword": set(),
            "quokkagram": {"hid-1"},
        }


async def test_current_rows_only_for_conversations_unchanged_since_indexed(sandbox) -> None:
    data = org_data(sandbox, sandbox.org)
    async with indexes_for(sandbox, days=DAYS) as indexes:
        index = indexes.get(sandbox.org)
        await index.ensure_fresh(budget_s=120)
        page = await indexes.api.list_conversations(sandbox.org, limit=20)
        ids = [c.conversation_id for c in page.data]
        assert set(ix.current_rows(index.store, sandbox.org, page.data)) == set(ids)
        wrote, moved = ids[0], ids[1]
        last = data.messages(wrote)[-1]
        data.append_message(
            dataclasses.replace(
                last, message_id="live-1", direction="outbound", sent_at=sandbox.sandbox.now()
            )
        )
        data.conversations[moved] = dataclasses.replace(data.conversations[moved], folder="archived")
        page = await indexes.api.list_conversations(sandbox.org, limit=20)
        current = ix.current_rows(index.store, sandbox.org, page.data)
        assert set(current) == {c.conversation_id for c in page.data} - {wrote, moved}
        for c in page.data:
            if c.conversation_id in current:
                assert current[c.conversation_id].last_activity_at == c.last_activity_at


async def test_a_plain_listing_never_shows_an_index_row_older_than_the_api_row(sandbox) -> None:
    """The API path of list_conversations completes its rows from the index only where the index is
    current: after we reply and archive upstream, the row says so (not "awaiting", not the old gist)."""
    data = org_data(sandbox, sandbox.org)
    async with connect(sandbox) as client:
        overview = await client.call_tool("inbox_overview", {"period": "last_7_days"})  # the index is synced
        cid = overview.structured_content["awaiting_reply"][0]["conversation_id"]
        conv = data.conversations[cid]
        data.append_message(
            Message(
                message_id="reply-after-sync",
                conversation_id=cid,
                direction="outbound",
                modality=conv.modality,
                subject=None,
                body_html=None,
                body_text="On our way tomorrow at 9.",
                sender_name="Agent",
                sender_email=None,
                sender_phone_number=None,
                sent_at=datetime.now(UTC),
                is_read=True,
            )
        )
        data.conversations[cid] = dataclasses.replace(data.conversations[cid], folder="archived")
        listed = await client.call_tool("list_conversations", {"limit": 5})
    assert not listed.is_error, text_of(listed)
    row = next(r for r in listed.structured_content["conversations"] if r["conversation_id"] == cid)
    assert row["folder"] == "archived"
    assert not row.get("awaiting_reply")
    assert row.get("last_direction") in (None, "outbound")
