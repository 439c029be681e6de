"""How inbox_overview cuts its window into concurrently fetched slices."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hyperrep_mcp.server.tools.analytics import MAX_PARTITIONS, window_slices
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
