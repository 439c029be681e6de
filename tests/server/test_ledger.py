"""The write ledger on its own: the order in which "was this already done?" is answered, and what
a create does when HyperRep's answer is lost. The finders are plain functions over a list standing
for HyperRep's records (the tools' real finders are exercised against the sandbox in
test_writes.py, test_write_safety.py and tests/e2e/test_scale_out.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hyperrep_mcp.api.errors import OutcomeUnknownError, UpstreamTimeoutError
from hyperrep_mcp.server.ledger import Intent, WriteLedger
from hyperrep_mcp.server.results import ToolInputError

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
pytestmark = pytest.mark.anyio


class Record:
    def __init__(self, created_at: datetime | None) -> None:
        self.created_at = created_at


class Upstream:
    """What HyperRep holds, and every look and write made at it, in order."""

    def __init__(self, *, made: list[Record] | None = None, sent: Any = None, lose_first: bool = False):
        self.made, self.sent, self.lose_first = made or [], sent, lose_first
        self.calls: list[str] = []

    async def find_made(self, since: datetime) -> Record | None:
        self.calls.append("made?")
        return next(
            (r for r in self.made if r.created_at and r.created_at >= since - timedelta(seconds=90)), None
        )

    async def find_sent(self) -> Any:
        self.calls.append("sent?")
        return self.sent

    async def write(self) -> Record:
        self.calls.append("write")
        if self.lose_first and self.calls.count("write") == 1:
            raise OutcomeUnknownError("lost", cause=UpstreamTimeoutError("no answer in time"))
        return Record(NOW)


def intent(up: Upstream, *, send: bool = False, first: bool = True, **payload: Any) -> Intent:
    return Intent(
        "create_message_draft",
        "org",
        {"body_html": "<p>Hi</p>", **payload},
        made=up.find_made,
        sent=up.find_sent if send else None,
        look_upstream_first=first,
    )


async def test_an_identical_create_within_the_minute_is_the_first_one_without_asking_upstream():
    ledger, up = WriteLedger(), Upstream()
    first = intent(up, first=False, add_notification=True)
    assert await ledger.already_done(first, NOW) is None
    ledger.remember(first, "the first result")
    done = await ledger.already_done(intent(up, first=False, add_notification=False), NOW)
    assert done is not None and (done.how, done.record) == ("remembered", "the first result")
    assert await ledger.already_done(intent(up, first=False, body_html="<p>Other</p>"), NOW) is None
    assert up.calls == []


async def test_upstream_an_identical_record_counts_only_when_under_a_minute_old():
    fresh, stale = (
        Upstream(made=[Record(NOW - timedelta(seconds=30))]),
        Upstream(made=[Record(NOW - timedelta(seconds=80))]),
    )
    done = await WriteLedger().already_done(intent(fresh), NOW)
    assert done is not None and done.how == "made"
    assert await WriteLedger().already_done(intent(stale), NOW) is None


async def test_a_send_asks_only_whether_it_was_sent_then_the_memory_never_a_saved_draft():
    up = Upstream(made=[Record(NOW)], sent=None)
    assert await WriteLedger().already_done(intent(up, send=True), NOW) is None
    assert up.calls == ["sent?"]  # a saved (unsent) draft with the same text does not stop a send
    up.sent = "the queued draft"
    done = await WriteLedger().already_done(intent(up, send=True), NOW)
    assert done is not None and (done.how, done.record) == ("sent", "the queued draft")


async def test_a_lost_answer_is_looked_for_before_one_more_try():
    up = Upstream(lose_first=True)
    created = await WriteLedger(waits_s=(0.0, 0.0)).create(intent(up), up.write, started=NOW)
    assert up.calls == ["write", "made?", "made?", "write"]
    assert created.lost == "no answer in time" and not created.found


async def test_a_lost_answer_whose_record_exists_is_not_written_again():
    up = Upstream(lose_first=True, made=[Record(NOW)])
    created = await WriteLedger(waits_s=(0.0,)).create(intent(up), up.write, started=NOW)
    assert up.calls == ["write", "made?"] and created.found and created.record is up.made[0]


async def test_a_lost_send_is_never_retried():
    up = Upstream(lose_first=True)
    with pytest.raises(ToolInputError, match="NOT retried"):
        await WriteLedger(waits_s=(0.0,)).create(intent(up, send=True), up.write, started=NOW)
    assert up.calls.count("write") == 1
