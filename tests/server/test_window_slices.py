"""How inbox_overview plans its requests: window slices, and the first batch of last-message checks."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hyperrep_mcp.api.models import Conversation
from hyperrep_mcp.server.tools.analytics import (
    CHECK_BATCH,
    MAX_FIRST_BATCH,
    MAX_PARTITIONS,
    first_batch_size,
    window_slices,
)
from hyperrep_mcp.server.tools.common import DateWindow

NOW = datetime(2026, 11, 30, 3, 0, 7, tzinfo=UTC)


def assert_tiles(slices: list[DateWindow], window: DateWindow) -> None:
    assert slices[0].start == window.start and slices[-1].end == window.end
    assert all(a.end == b.start for a, b in itertools.pairwise(slices))


def test_a_week_ending_now_is_half_days_with_the_newest_in_quarters():
    week = DateWindow(NOW - timedelta(days=7), NOW)
    slices = window_slices(week, NOW)
    assert_tiles(slices, week)
    assert len(slices) == 13 + 4
    assert all(s.length == timedelta(hours=12) for s in slices[:13])
    assert all(s.length == timedelta(hours=3) for s in slices[13:])


def test_a_past_window_is_plain_half_days():
    past = DateWindow(NOW - timedelta(days=30), NOW - timedelta(days=23))
    slices = window_slices(past, NOW)
    assert_tiles(slices, past)
    assert len(slices) == 14 and {s.length for s in slices} == {timedelta(hours=12)}


def test_long_and_short_windows_stay_bounded():
    quarter = DateWindow(NOW - timedelta(days=90), NOW)
    slices = window_slices(quarter, NOW)
    assert_tiles(slices, quarter)
    assert len(slices) == MAX_PARTITIONS + 3
    hour = DateWindow(NOW - timedelta(hours=1), NOW)
    assert window_slices(hour, NOW) == [hour]  # too short to cut


def convs(read_flags: str) -> list[Conversation]:
    """'u' unread, 'r' read, newest first."""
    return [Conversation(conversation_id=f"c{i}", is_read=flag == "r") for i, flag in enumerate(read_flags)]


def test_first_batch_reaches_the_limit_th_unread_conversation_within_bounds():
    dense = convs("u" * 30)
    assert first_batch_size(dense, 10) == CHECK_BATCH  # never fewer than a normal batch
    sparse = convs(("r" * 2 + "u") * 20)  # every third is unread: the 10th unread is the 30th
    assert first_batch_size(sparse, 10) == 30
    assert first_batch_size(convs("r" * 60), 10) == MAX_FIRST_BATCH  # no signal: the most at once
    assert first_batch_size(convs("u" * 5), 10) == MAX_FIRST_BATCH  # fewer than asked for
    assert first_batch_size(convs(""), 10) == MAX_FIRST_BATCH  # the caller slices what exists
