"""What the tools answering from the inbox index share: argument types, windows, coverage, progress.

`resolve_window` reads `period` names and bare dates in HYPERREP_TIMEZONE with the shared period
arithmetic (server/tools/periods.py), as every other windowed tool does.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from hyperrep_mcp.index import Coverage, OrgIndex, Progress
from hyperrep_mcp.render.views import View
from hyperrep_mcp.server.cursor import InvalidToolCursor
from hyperrep_mcp.server.results import ToolInputError
from hyperrep_mcp.server.tools.common import DateWindow, listing_dates, now
from hyperrep_mcp.server.tools.periods import period_window

# How long a call waits for the index to catch up before answering from what it has.
SYNC_BUDGET_S = 20.0

Channel = Annotated[
    Literal["email", "text"] | None, Field(description="Only this channel: email or text (SMS)")
]
Direction = Annotated[
    Literal["inbound", "outbound"] | None,
    Field(description="inbound = written by the customer, outbound = written by us"),
]


def _named(period: str, current: datetime, zone: tzinfo) -> tuple[DateWindow, DateWindow]:
    """The named period (a this_* period cut at now) and the previous period of the same kind."""
    window = period_window(period, current, zone)
    if window.end > current:
        window = DateWindow(window.start, current, window.period, zone)
    return window, window.previous()


def resolve_window(
    period: str | None,
    start_date: str | None,
    end_date: str | None,
    *,
    default: str | None,
    reach_start: datetime,
    zone: tzinfo = UTC,
) -> tuple[DateWindow, DateWindow]:
    """The window a call asks about and the one before it (same kind), validated before any request.

    `default`: the period used when nothing is given; None means the index's whole reach. Period
    names and bare dates are read in `zone` (HYPERREP_TIMEZONE).
    """
    if period is not None and (start_date or end_date):
        raise ToolInputError(
            "period cannot be combined with start_date/end_date: pass either period (e.g. "
            'period="this_month") or explicit dates, not both.'
        )
    current = now()
    if period is not None:
        return _named(period, current, zone)
    start, end = listing_dates(start_date, end_date, zone=zone)
    if start is None and end is None:
        if default is not None:
            return _named(default, current, zone)
        window = DateWindow(reach_start, current, None, zone)
        return window, window.previous()
    end = end or current
    if start is None:
        start = reach_start if default is None else period_window(default, end, zone).start
        if start > end:
            start = end - timedelta(days=30)
    window = DateWindow(start, end, None, zone)
    return window, window.previous()


def progress_to(ctx: Context) -> Progress:
    """The index's progress as MCP progress notifications of this call (never going backwards)."""
    last = -1.0

    async def report(done: float, total: float | None, message: str) -> None:
        nonlocal last
        if done <= last:
            return
        last = done
        await ctx.report_progress(done, total=total, message=message)

    return report


async def fresh_index(ctx: Context, index: OrgIndex, start: datetime) -> Coverage:
    return await index.ensure_fresh(start, budget_s=SYNC_BUDGET_S, progress=progress_to(ctx))


class IndexCoverage(View):
    """What an answer from the inbox index covers."""

    covered_since: str | None = Field(default=None, description="Earliest activity the index has listed")
    reach_days: int = Field(description="How many days back the index reaches (HYPERREP_INDEX_DAYS)")
    conversations: int
    messages: int
    last_synced: str | None = None
    complete: bool = Field(
        description="False: part of the window is not read yet; the answer covers the rest"
    )
    pending_conversations: int = 0
    syncing: bool = False
    note: str | None = None


def coverage_view(coverage: Coverage, window_start: datetime | None = None) -> IndexCoverage:
    note = None
    reach = now() - timedelta(days=coverage.window_days)
    if window_start is not None and window_start < reach - timedelta(minutes=5):
        note = f"the index reaches back {coverage.window_days} days: activity before {reach:%Y-%m-%d} is not covered"
    return IndexCoverage(
        covered_since=_z(coverage.window_start),
        reach_days=coverage.window_days,
        conversations=coverage.conversations,
        messages=coverage.messages,
        last_synced=_z(coverage.last_synced),
        complete=coverage.complete,
        pending_conversations=coverage.pending,
        syncing=coverage.syncing,
        note=note or coverage.error,
    )


def coverage_line(coverage: Coverage, view: IndexCoverage) -> str:
    line = coverage.describe()
    if view.note and view.note != coverage.error:
        line += f" · {view.note}"
    return line


def _z(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def window_text(window: DateWindow) -> str:
    def short(value: datetime) -> str:
        t = value.time()
        return f"{value:%Y-%m-%d}" if t in (time.min, time(23, 59, 59)) else f"{value:%Y-%m-%d %H:%M}Z"

    return f"{short(window.start)} → {short(window.end)}"


# --- offset cursors over index answers ----------------------------------------------------------

_PREFIX = "ix1."


def offset_cursor(offset: int) -> str:
    raw = json.dumps({"o": offset}, separators=(",", ":")).encode()
    return _PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_offset(token: str | None) -> int:
    """The offset an index cursor continues from (0 without one); a foreign cursor is refused."""
    if not token:
        return 0
    if not token.startswith(_PREFIX) or len(token) > 100:
        raise InvalidToolCursor
    body = token[len(_PREFIX) :]
    try:
        value = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["o"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidToolCursor from exc
    if not isinstance(value, int) or not 0 <= value <= 1_000_000:
        raise InvalidToolCursor
    return value
