"""The index's sync (SPEC 8): incremental, bounded, shared, resumable, identical under faults."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest

from bench.index import CountingTransport  # the bench counts requests in flight the same way
from hyperrep_mcp import index as ix
from hyperrep_mcp.api import HyperRepClient, HyperRepError
from hyperrep_mcp.index import Indexes
from tests.index.helpers import indexes_for, org_data
from tests.support import SANDBOX_KEY, RunningSandbox

pytestmark = pytest.mark.anyio


def mid_org(sb: RunningSandbox) -> str:
    return sb.sandbox.data.fixtures.mid_org_id


def dump(store: ix.Store, org: str) -> dict[str, Any]:
    """Everything the index holds for an organization, in a comparable form."""
    q = store.con.execute
    return {
        "conversations": sorted(
            tuple(r)
            for r in q(
                "select conversation_id, contact_id, folder, is_read, start_at, last_activity_at,"
                " fetched_activity from conversations where org_id = ?",
                (org,),
            )
        ),
        "messages": sorted(
            tuple(r)
            for r in q(
                "select conversation_id, message_id, direction, channel, subject, sent_at, ts, is_read, sender,"
                " body from messages where org_id = ?",
                (org,),
            )
        ),
        "fts": q("select count(*) from message_fts").fetchone()[0],
        "contacts": sorted(tuple(r) for r in q("select * from contacts where org_id = ?", (org,))),
        "companies": sorted(tuple(r) for r in q("select * from companies where org_id = ?", (org,))),
    }


def listing_requests(sb: RunningSandbox, org: str) -> list[Any]:
    return [r for r in sb.sandbox.requests if r.method == "GET" and r.path.endswith(f"{org}/conversations")]


async def test_with_30_percent_faults_the_index_ends_identical_to_a_fault_free_sync(sandbox_factory) -> None:
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    clean = sandbox_factory(now=anchor)
    flaky = sandbox_factory(now=anchor, fault_rate=0.3, seed=7)
    org = mid_org(clean)
    assert org == mid_org(flaky)
    async with indexes_for(clean, days=30) as a, indexes_for(flaky, days=30) as b:
        first = await a.get(org).ensure_fresh(budget_s=120)
        second = await b.get(org).ensure_fresh(budget_s=120)
        assert first.complete and second.complete
        faults = [r for r in flaky.sandbox.requests if r.status in (0, 429) or r.status >= 500]
        assert len(faults) > 50, "the fault injection did not happen"
        assert {r.status for r in faults} >= {429, 500} or {r.status for r in faults} >= {429, 503}
        assert dump(a.store, org) == dump(b.store, org)
        assert dump(a.store, org)["fts"] == len(dump(a.store, org)["messages"])  # nothing doubled


async def test_nothing_changed_costs_one_request_and_a_change_reads_only_its_conversation(sandbox) -> None:
    org = mid_org(sandbox)
    data = org_data(sandbox, org)
    async with indexes_for(sandbox, days=30) as indexes:
        index = indexes.get(org)
        await index.ensure_fresh(budget_s=120)
        before = len(sandbox.sandbox.requests)
        coverage = await index.ensure_fresh(budget_s=60)
        assert coverage.complete
        assert len(sandbox.sandbox.requests) - before == 1
        assert index.last_report is not None and index.last_report.requests == 1

        # A customer writes again in one conversation: the next sync lists, then reads that one only.
        conv = next(c for c in data.conversations.values() if c.folder == "inbox" and c.modality == "text")
        last = data.messages(conv.conversation_id)[-1]
        data.append_message(
            dataclasses.replace(
                last,
                message_id="HR_id_fresh_message",
                direction="inbound",
                body_text="Is the zeppelin-shaped dormer still on for Friday?",
                sent_at=sandbox.sandbox.now(),
            )
        )
        before = len(sandbox.sandbox.requests)
        await index.ensure_fresh(budget_s=60)
        new = sandbox.sandbox.requests[before:]
        assert len(new) == 2, [r.path for r in new]
        assert new[1].path.endswith(f"{conv.conversation_id}/messages")
        hits, _ = ix.search(index.store, org, ix.parse_query("zeppelin*"))
        assert [h.message_id for h in hits] == ["HR_id_fresh_message"]
        rows = ix.conversation_rows(index.store, org, [conv.conversation_id])
        assert rows[conv.conversation_id].awaiting and rows[conv.conversation_id].last_direction == "inbound"


async def test_callers_share_one_sync_within_8_in_flight_and_a_slow_one_goes_on_in_the_background(
    sandbox_factory,
) -> None:
    sb = sandbox_factory(latency_ms=20)
    org = mid_org(sb)
    transport = CountingTransport()
    progress: list[tuple[float, float | None, str]] = []

    async def on_progress(done: float, total: float | None, message: str) -> None:
        progress.append((done, total, message))

    async with (
        HyperRepClient(SANDBOX_KEY, base_url=sb.url, transport=transport) as api,
        Indexes(api, days=30) as indexes,
    ):
        index = indexes.get(org)
        early = await index.ensure_fresh(budget_s=0.05)
        assert not early.complete and early.syncing
        assert "continues in the background" in early.describe()
        results: list[ix.Coverage] = []

        async def caller() -> None:
            results.append(await index.ensure_fresh(budget_s=120, progress=on_progress))

        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(caller)
        assert all(r.complete for r in results)
        report = index.last_report
        assert report is not None
        # One listing for everyone: the first page of each slice of the window was asked for once.
        first_pages = [
            (r.query.get("start_date"), r.query.get("end_date"))
            for r in listing_requests(sb, org)
            if "cursor" not in r.query
        ]
        assert len(first_pages) == len(set(first_pages)) == 5  # 30 days in week-long slices
        assert transport.peak <= ix.MAX_IN_FLIGHT
        assert transport.total == report.requests
        assert report.conversations_fetched == results[0].conversations
    assert progress, "no progress was reported"
    dones = [p[0] for p in progress]
    assert dones == sorted(dones)


async def test_a_file_index_is_private_persistent_and_rebuilt_when_foreign(sandbox, tmp_path) -> None:
    org = mid_org(sandbox)
    path = tmp_path / "idx" / "inbox.sqlite"
    async with indexes_for(sandbox, days=10, path=str(path)) as indexes:
        first = await indexes.get(org).ensure_fresh(budget_s=120)
        assert first.complete and first.messages > 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    async with indexes_for(sandbox, days=10, path=str(path)) as indexes:
        before = len(sandbox.sandbox.requests)
        again = await indexes.get(org).ensure_fresh(budget_s=60)
        assert (again.conversations, again.messages) == (first.conversations, first.messages)
        assert len(sandbox.sandbox.requests) - before == 1  # kept across restarts: only a refresh
    con = sqlite3.connect(path)
    con.execute("update schema_version set version = version + 100")
    con.commit()
    con.close()
    async with indexes_for(sandbox, days=10, path=str(path)) as indexes:
        assert indexes.store.counts(org) == (0, 0)  # an unknown layout is rebuilt, not misread
    os.remove(path)
    path.write_bytes(b"not a database at all" * 100)
    async with indexes_for(sandbox, days=10, path=str(path)) as indexes:
        assert (await indexes.get(org).ensure_fresh(budget_s=120)).complete
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


async def test_a_wrong_key_is_an_error_not_an_empty_index(sandbox) -> None:
    async with (
        HyperRepClient("wrong-key", base_url=sandbox.url, max_retries=0) as api,
        Indexes(api, days=5) as indexes,
    ):
        with pytest.raises(HyperRepError, match="HYPERREP_API_KEY"):
            await indexes.get(mid_org(sandbox)).ensure_fresh(budget_s=30)
