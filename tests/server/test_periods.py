"""Named periods (SPEC section 2): the pure resolver, property-tested against calendar facts computed
independently (wall-clock fields in the zone), and the input errors the tools give for them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hyperrep_mcp.server.results import ToolInputError
from hyperrep_mcp.server.state import CALL_CLOCK
from hyperrep_mcp.server.tools.common import listing_dates, parse_date, resolve_window
from hyperrep_mcp.server.tools.periods import PERIODS, DateWindow, period_window, previous_window

ZONES = [
    UTC,
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Pacific/Auckland"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("America/Santiago"),  # DST changes at midnight: a day that starts at 01:00
    ZoneInfo("Pacific/Chatham"),  # +12:45
]
zones = st.sampled_from(ZONES)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
calendar = [p for p in PERIODS if not p.endswith("_days")]
SECOND = timedelta(seconds=1)
TICK = timedelta(microseconds=1)  # windows end this much before the next boundary


def local(moment: datetime, zone) -> datetime:
    return moment.astimezone(zone)


def unit_key(name: str, moment: datetime, zone) -> tuple:
    """Which calendar unit a moment falls in, from its wall-clock fields alone."""
    d = local(moment, zone).date()
    if "week" in name:
        return tuple(d.isocalendar())[:2]
    if "month" in name:
        return (d.year, d.month)
    if "quarter" in name:
        return (d.year, (d.month - 1) // 3)
    return (d.year, d.month, d.day)


def step_back(name: str, key: tuple) -> tuple:
    if "week" in name:
        year, week = key
        back = datetime.fromisocalendar(year, week, 1) - timedelta(days=7)
        return tuple(back.isocalendar())[:2]
    if "month" in name:
        year, month = key
        return (year - 1, 12) if month == 1 else (year, month - 1)
    if "quarter" in name:
        year, q = key
        return (year - 1, 3) if q == 0 else (year, q - 1)
    year, month, day = key
    back = datetime(year, month, day) - timedelta(days=1)
    return (back.year, back.month, back.day)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(calendar), now=moments, zone=zones)
def test_calendar_periods_are_whole_units_in_the_zone(name: str, now: datetime, zone) -> None:
    w = period_window(name, now, zone)
    assert w.start.tzinfo is not None and w.end.tzinfo is not None
    assert w.start < w.end
    # All of it in one unit, and the seconds just outside belong to other units.
    key = unit_key(name, w.start, zone)
    assert unit_key(name, w.end, zone) == key
    assert unit_key(name, w.start - SECOND, zone) != key
    assert unit_key(name, w.end + TICK, zone) != key  # no instant falls between windows
    current = unit_key(name, now, zone)
    if name == "today" or name.startswith("this_"):
        assert key == current and w.start <= now <= w.end
    else:
        assert key == step_back(name, current) and w.end < now


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(calendar), now=moments, zone=zones)
def test_previous_is_the_previous_unit_of_the_same_kind(name: str, now: datetime, zone) -> None:
    w = period_window(name, now, zone)
    prev = previous_window(w)
    assert prev.end == w.start - TICK  # adjacent, no gap, no overlap
    assert unit_key(name, prev.start, zone) == step_back(name, unit_key(name, w.start, zone))
    assert unit_key(name, prev.end, zone) == unit_key(name, prev.start, zone)
    assert unit_key(name, prev.start - SECOND, zone) != unit_key(name, prev.start, zone)
    assert prev.period == name


@settings(max_examples=100, deadline=None)
@given(now=moments, zone=zones, name=st.sampled_from(["last_7_days", "last_30_days", "last_90_days"]))
def test_rolling_periods_end_now_and_compare_with_equal_windows(now: datetime, zone, name: str) -> None:
    days = int(name.split("_")[1])
    w = period_window(name, now, zone)
    assert (w.start, w.end) == (now - timedelta(days=days), now)
    prev = previous_window(w)
    assert prev.length == w.length and prev.end == w.start


def test_this_month_compares_with_the_whole_of_last_month_not_an_equal_window() -> None:
    now = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    w = period_window("this_month", now, UTC)
    assert w.start == datetime(2026, 3, 1, tzinfo=UTC)
    prev = previous_window(DateWindow(w.start, now, w.period, UTC))  # past-only: cut to now
    assert (prev.start, prev.end) == (
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC),
    )


def test_periods_are_read_in_the_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 23:30 UTC on 31 Jan is already 1 Feb in Berlin.
    now = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    assert period_window("this_month", now, berlin).start == datetime(2026, 1, 31, 23, 0, tzinfo=UTC)
    assert period_window("this_month", now, UTC).start == datetime(2026, 1, 1, tzinfo=UTC)
    y = period_window("yesterday", now, berlin)
    assert (y.start, y.end) == (
        datetime(2026, 1, 30, 23, 0, tzinfo=UTC),
        datetime(2026, 1, 31, 22, 59, 59, 999999, tzinfo=UTC),
    )


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2040, 1, 1).date()),
    zone=zones,
)
def test_bare_dates_are_whole_local_days(day, zone) -> None:
    start = parse_date(day.isoformat(), field_name="start_date", zone=zone)
    end = parse_date(day.isoformat(), field_name="end_date", end=True, zone=zone)
    assert local(start, zone).date() == day and local(start - SECOND, zone).date() < day
    assert local(end, zone).date() == day and local(end + TICK, zone).date() > day


@settings(max_examples=200, deadline=None)
@given(
    last=st.dates(min_value=datetime(2001, 1, 1).date(), max_value=datetime(2039, 1, 1).date()),
    days=st.sampled_from([7, 30]),
    zone=zones,
)
def test_an_end_date_alone_gets_whole_local_days_before_it(last, days, zone) -> None:
    """The default span before a bare end_date is that many whole local days, DST or not."""
    token = CALL_CLOCK.set(lambda: datetime(2040, 1, 1, tzinfo=UTC))  # every end is in the past
    try:
        w = resolve_window(None, None, last.isoformat(), default=f"last_{days}_days", zone=zone)
    finally:
        CALL_CLOCK.reset(token)
    first = last - timedelta(days=days - 1)
    assert local(w.start, zone).date() == first and local(w.start - SECOND, zone).date() < first
    assert local(w.end, zone).date() == last and local(w.end + TICK, zone).date() > last


@settings(max_examples=100, deadline=None)
@given(
    first=st.dates(min_value=datetime(2001, 1, 1).date(), max_value=datetime(2039, 1, 1).date()),
    days=st.integers(1, 400),
    zone=zones,
)
# Santiago skipped midnight on 8 September 2013: that day began at 01:00 and is still a whole day.
@example(first=datetime(2013, 9, 8).date(), days=1, zone=ZoneInfo("America/Santiago"))
def test_explicit_whole_days_compare_with_as_many_whole_days_before(first, days, zone) -> None:
    last = first + timedelta(days=days - 1)
    w = DateWindow(
        parse_date(first.isoformat(), field_name="s", zone=zone),
        parse_date(last.isoformat(), field_name="e", end=True, zone=zone),
        None,
        zone,
    )
    prev = previous_window(w)
    assert prev.end == w.start - TICK
    assert local(prev.start, zone).date() == first - timedelta(days=days)
    assert local(prev.start - SECOND, zone).date() < local(prev.start, zone).date()


@pytest.mark.parametrize("dates", [("2026-11-01", None), (None, "2026-11-30"), ("2026-11-01", "2026-11-30")])
def test_period_with_dates_is_an_error_naming_period(dates) -> None:
    with pytest.raises(ToolInputError, match="period='this_month' cannot be combined with"):
        listing_dates(*dates, period="this_month")
    with pytest.raises(ToolInputError, match="period='this_month'"):
        resolve_window("this_month", *dates, default="last_7_days")


NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


@pytest.fixture
def pinned_clock():
    token = CALL_CLOCK.set(lambda: NOW)
    yield
    CALL_CLOCK.reset(token)


def test_defaults_are_the_rolling_periods_or_the_index_reach(pinned_clock) -> None:
    w = resolve_window(None, None, None, default="last_7_days")
    assert (w.start, w.end, w.period) == (NOW - timedelta(days=7), NOW, "last_7_days")
    w = resolve_window("this_month", None, None, default="last_30_days")
    assert (w.start, w.end, w.period) == (datetime(2026, 11, 1, tzinfo=UTC), NOW, "this_month")
    reach = NOW - timedelta(days=90)
    w = resolve_window(None, None, None, default=None, reach_start=reach)
    assert (w.start, w.end, w.period) == (reach, NOW, None)


def test_a_missing_start_is_where_the_default_would_start(pinned_clock) -> None:
    # A bare end_date closes a day: the 30 whole days ending with it.
    assert resolve_window(None, None, "2026-11-10", default="last_30_days").start == datetime(
        2026, 10, 12, tzinfo=UTC
    )
    reach = NOW - timedelta(days=90)
    assert resolve_window(None, None, "2026-11-10", default=None, reach_start=reach).start == reach
    # An end before the index's reach: the 30 days before it, never an inverted window.
    w = resolve_window(None, None, "2026-01-10", default=None, reach_start=reach)
    assert w.end - w.start == timedelta(days=30)


def test_windows_cover_the_past_only_whichever_tool_asks(pinned_clock) -> None:
    """One resolver for the API's analytics and the index alike: a future end is cut to now (so the
    previous window is as long as what was covered), and a future start is refused, naming it."""
    w = resolve_window(None, "2026-11-01", "2026-12-31", default="last_30_days")
    assert (w.start, w.end) == (datetime(2026, 11, 1, tzinfo=UTC), NOW)
    assert w.previous().end == w.start and w.previous().length == w.length
    with pytest.raises(ToolInputError, match=r"start_date \(2026-12-01 00:00Z\) is in the future"):
        resolve_window(None, "2026-12-01", None, default=None, reach_start=NOW - timedelta(days=90))


def test_an_end_date_after_now_gets_the_default_span_up_to_now(pinned_clock) -> None:
    """A future end_date is cut to now and the default span (inbox_overview's 7 days) runs back from
    now, as the default period does: not from the future day, which left the 30-day fallback of an
    end before the index's reach (a week's overview covering a month)."""
    for end_date in ("2026-11-18", "2026-11-19", "2026-11-30", "2026-12-31", "2099-01-01T10:00:00Z"):
        w = resolve_window(None, None, end_date, default="last_7_days")
        assert (w.start, w.end) == (NOW - timedelta(days=7), NOW), end_date
    w = resolve_window(None, None, "2099-01-01", default="last_30_days")
    assert (w.start, w.end) == (NOW - timedelta(days=30), NOW)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(calendar),
    now=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)),
    zone=zones,
)
def test_every_instant_belongs_to_its_unit_fractions_of_a_second_included(name, now, zone) -> None:
    """Calendar windows tile time with no gap: 23:59:59.4 belongs to its day (review of issue 14)."""
    w = period_window(name, now, zone)
    prev = previous_window(w)
    # An instant in the last second of the window before (sub-second: the old 1 s gap dropped it).
    last_second = w.start - timedelta(microseconds=400_000)
    assert prev.start <= last_second <= prev.end
    assert unit_key(name, last_second, zone) == unit_key(name, prev.start, zone)


def test_the_last_fraction_of_a_day_is_in_today_and_in_a_bare_end_date() -> None:
    zone = ZoneInfo("America/New_York")
    moment = datetime(2026, 11, 3, 23, 59, 59, 400_000, tzinfo=zone).astimezone(UTC)
    today = period_window("today", moment, zone)
    assert today.start <= moment <= today.end
    end = parse_date("2026-11-03", field_name="end_date", end=True, zone=zone)
    assert end is not None and moment <= end
