"""Named periods (SPEC section 2): `this_month`, `last_week`, `last_7_days`, ... read in HYPERREP_TIMEZONE.

Pure functions of (name, now, zone): no clock, no settings, so they are property-tested directly.
Every windowed tool resolves its window with `common.resolve_window`; `previous_window` gives what
`compare_to_previous` compares with.

Windows are closed [start, end] in aware UTC, ending one microsecond (the clock's resolution) before
the next boundary, so consecutive calendar periods tile with no overlap and no gap: 23:59:59.4
belongs to its day. The API's end_date is exclusive, so passing `end` on loses only that last
microsecond.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated, Literal, get_args

from pydantic import Field

from hyperrep_mcp.render.layout import window_text
from hyperrep_mcp.server.results import ToolInputError

PeriodName = Literal[
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "last_7_days",
    "last_30_days",
    "last_90_days",
]
PERIODS: tuple[str, ...] = get_args(PeriodName)
Period = Annotated[
    PeriodName | None,
    Field(description="Instead of dates; weeks start Monday; this_* run to now"),
]

Unit = Literal["day", "week", "month", "quarter"]
_UNIT: dict[str, Unit] = {
    "today": "day",
    "yesterday": "day",
    "this_week": "week",
    "last_week": "week",
    "this_month": "month",
    "last_month": "month",
    "this_quarter": "quarter",
    "last_quarter": "quarter",
}
_ROLLING_DAYS = {"last_7_days": 7, "last_30_days": 30, "last_90_days": 90}
SECOND = timedelta(seconds=1)
# The last instant before a boundary: datetimes have microsecond resolution.
TICK = timedelta(microseconds=1)
# How an inclusive end of day reads: a period's (23:59:59.999999) or a bare end date's (23:59:59).
_DAY_ENDS = (time.max, time(23, 59, 59))


@dataclass(frozen=True)
class DateWindow:
    """A closed window in aware UTC; `period` names the kind it was asked as (None: explicit dates)."""

    start: datetime
    end: datetime
    period: str | None = None
    zone: tzinfo = UTC

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> DateWindow:
        """What compare_to_previous compares with: see `previous_window`."""
        return previous_window(self)

    def text(self) -> str:
        """The window as a header shows it, in its zone: '2026-11-01 → 2026-11-18 09:30 (America/Chicago)'."""
        return window_text(self.start, self.end, self.zone)


def midnight(day: date, zone: tzinfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC. Where a DST change skips midnight, the wall
    clock time maps forward the way zoneinfo reads it (fold=0), which keeps days in order."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _unit_start(unit: Unit, day: date) -> date:
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks: Monday
    if unit == "month":
        return day.replace(day=1)
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _unit_after(unit: Unit, first: date) -> date:
    """The first day of the next unit, given the first day of one."""
    if unit == "day":
        return first + timedelta(days=1)
    if unit == "week":
        return first + timedelta(days=7)
    months = 1 if unit == "month" else 3
    index = first.month - 1 + months
    return date(first.year + index // 12, index % 12 + 1, 1)


def unit_window(unit: Unit, moment: datetime, zone: tzinfo, period: str | None = None) -> DateWindow:
    """The whole calendar day/week/month/quarter (in `zone`) that contains `moment`."""
    first = _unit_start(unit, moment.astimezone(zone).date())
    return DateWindow(midnight(first, zone), midnight(_unit_after(unit, first), zone) - TICK, period, zone)


def period_window(name: str, now: datetime, zone: tzinfo) -> DateWindow:
    """The window a period name means at `now`. `this_*` and `today` cover the whole current unit
    (callers that cover the past only cut the end to now); `last_N_days` is the N*24 hours up to now."""
    if name in _ROLLING_DAYS:
        return DateWindow(now - timedelta(days=_ROLLING_DAYS[name]), now, name, zone)
    if name not in _UNIT:
        raise ToolInputError(f"period {name!r} is not one of: {', '.join(PERIODS)}.")
    unit = _UNIT[name]
    current = unit_window(unit, now, zone, name)
    if name == "today" or name.startswith("this_"):
        return current
    return unit_window(unit, current.start - SECOND, zone, name)


def days_before(end: datetime, days: int, zone: tzinfo) -> datetime:
    """Where a window of `days` ending at `end` starts. An end that closes a local day (a bare
    end_date) gets whole local days, from a midnight: N*24 hours back would start a tick before one,
    or an hour off it across a DST change. Any other end: N*24 hours back, as last_N_days reads."""
    local_end = end.astimezone(zone)
    if local_end.time() in _DAY_ENDS:
        return midnight(local_end.date() - timedelta(days=days - 1), zone)
    return end - timedelta(days=days)


def start_before(name: str, end: datetime, zone: tzinfo) -> datetime:
    """Where the period `name` starts when it ends at `end` (a default span before an end_date)."""
    if name in _ROLLING_DAYS:
        return days_before(end, _ROLLING_DAYS[name], zone)
    return period_window(name, end, zone).start


def previous_window(window: DateWindow) -> DateWindow:
    """The previous period of the SAME kind: the whole calendar month before for this_month or
    last_month (not a window of equal length), the week before for a week, the day before for
    today/yesterday; for last_N_days and explicit dates, the window of equal length just before (whole
    local days stay whole days: Jan 1-31 compares with Dec 1-31)."""
    zone = window.zone
    if window.period in _UNIT:
        return unit_window(_UNIT[window.period], window.start - SECOND, zone, window.period)
    local_start, local_end = window.start.astimezone(zone), window.end.astimezone(zone)
    # A day's first instant, not 00:00: where DST skips midnight (America/Santiago) a day starts at 01:00.
    if window.start == midnight(local_start.date(), zone) and local_end.time() in _DAY_ENDS:
        days = (local_end.date() - local_start.date()).days + 1
        start = midnight(local_start.date() - timedelta(days=days), zone)
        return DateWindow(start, window.start - TICK, window.period, zone)
    return DateWindow(window.start - window.length, window.start, window.period, zone)
