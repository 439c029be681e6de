"""get_response_times: how fast we send the first reply, from the inbox index (SPEC 2 and 8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from hyperrep_mcp import index as ix
from hyperrep_mcp.render.layout import call, fit, iso_z, next_steps, when
from hyperrep_mcp.render.views import OneLine, OrgRef, Out, View, Window
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import tool_result
from hyperrep_mcp.server.tools.common import (
    DateWindow,
    EndDate,
    OrganizationId,
    StartDate,
    app,
    now,
    org_ref,
    resolve_window,
    window_view,
)
from hyperrep_mcp.server.tools.index_common import (
    Channel,
    IndexCoverage,
    coverage_view,
    fresh_index,
)
from hyperrep_mcp.server.tools.periods import Period


class FirstReplyFigures(View):
    conversations: int = Field(description="Conversations whose first customer message falls in the window")
    replied: int
    unanswered: int
    median_minutes: float | None = Field(
        default=None, description="First customer message to our first reply"
    )
    mean_minutes: float | None = None
    p90_minutes: float | None = Field(default=None, description="90 % of replies came within this")
    oldest_unanswered_since: str | None = None
    oldest_unanswered_conversation_id: str | None = None


class ResponseTimesWindow(View):
    window: Window
    overall: FirstReplyFigures
    by_channel: dict[OneLine, FirstReplyFigures] = Field(default_factory=dict)


class ResponseTimesOut(Out):
    organization: OrgRef
    channel: str | None = None
    current: ResponseTimesWindow
    previous: ResponseTimesWindow | None = None
    median_change_minutes: float | None = Field(default=None, description="current - previous median")
    coverage: IndexCoverage
    suggested_calls: list[str] = Field(default_factory=list)


EXAMPLE: dict = {"channel": "text", "period": "this_month", "compare_to_previous": True}


@tool("Get response times")
async def get_response_times(
    ctx: Context,
    start_date: StartDate = None,
    end_date: EndDate = None,
    period: Period = None,
    channel: Channel = None,
    compare_to_previous: Annotated[
        bool, Field(description="Also the previous period and the change")
    ] = False,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ResponseTimesOut]:
    """Time to our first reply (median, mean, p90) for conversations whose first customer message is in the window (default last 30 days; no spam), plus the unanswered count and oldest; overall and per channel.

    Share answered: get_response_rate; who waits now: inbox_overview. Example: get_response_times(channel="text", period="this_month", compare_to_previous=true)
    """
    # take
    state = app(ctx)
    org = await state.org_id(organization_id)
    window = resolve_window(period, start_date, end_date, default="last_30_days", zone=state.settings.zone)
    earliest = window.previous().start if compare_to_previous else window.start
    # fetch: the index brought up to date for both windows
    index = state.index(org)
    coverage = await fresh_index(ctx, index, earliest)
    organization = await org_ref(state, org)
    # compute
    current = _figures(index, org, window, channel)
    oldest = current.overall.oldest_unanswered_conversation_id
    found = ResponseTimes(
        organization=organization,
        channel=channel,
        window=window,
        current=current,
        previous=_figures(index, org, window.previous(), channel) if compare_to_previous else None,
        coverage=coverage_view(coverage, earliest, state.settings.zone),
        suggestions=state.available(
            ([call("get_conversation_thread", conversation_id=oldest)] if oldest else [])
            + [call("inbox_overview")]
        ),
        at=now(),
    )
    # show
    return shown(found, budget=state.settings.max_output_chars)


def _minutes(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 60, 1)


def _one(stats: ix.ResponseTimeStats) -> FirstReplyFigures:
    return FirstReplyFigures(
        conversations=stats.conversations,
        replied=stats.replied,
        unanswered=stats.unanswered,
        median_minutes=_minutes(stats.median),
        mean_minutes=_minutes(stats.mean),
        p90_minutes=_minutes(stats.p90),
        oldest_unanswered_since=iso_z(stats.oldest_unanswered_since),
        oldest_unanswered_conversation_id=stats.oldest_unanswered_conversation_id,
    )


def _figures(index: ix.OrgIndex, org: str, window: DateWindow, channel: str | None) -> ResponseTimesWindow:
    times = ix.response_times(index.store, org, start=window.start, end=window.end, channel=channel)
    return ResponseTimesWindow(
        window=window_view(window),
        overall=_one(times.overall),
        by_channel={k: _one(v) for k, v in times.by_channel.items()},
    )


@dataclass(frozen=True)
class ResponseTimes:
    """What the first replies came to, before any text: the input of `shown`."""

    organization: OrgRef
    channel: str | None
    window: DateWindow
    current: ResponseTimesWindow
    previous: ResponseTimesWindow | None  # the figures of window.previous(), when compared
    coverage: IndexCoverage
    suggestions: list[str]
    at: datetime  # now: how long the oldest unanswered has waited


def shown(f: ResponseTimes, *, budget: int) -> CallToolResult:
    """The whole result: a header with the window and what the index covers, the figures overall and
    per channel, the previous period's and the change of the median when compared."""
    now_median = f.current.overall.median_minutes
    then_median = f.previous.overall.median_minutes if f.previous else None
    change = None if now_median is None or then_median is None else round(now_median - then_median, 1)
    scope = f" ({f.channel} only)" if f.channel else ""
    header = f"Time to our first reply in {f.organization.name}{scope}, {f.window.text()}:"
    lines = _block(f.current, f.at, f.window.zone)
    if f.previous:
        lines.append(f"Previous period, {f.window.previous().text()}:")
        lines += _block(f.previous, f.at, f.window.zone)
        if change is not None:
            lines.append(
                f"Median change: {_duration_minutes(abs(change))} {'slower' if change > 0 else 'faster'}"
                if change
                else "Median unchanged"
            )
    text, _ = fit(header + "\n" + f.coverage.summary, lines, lambda _k: next_steps(f.suggestions), budget)
    out = ResponseTimesOut(
        organization=f.organization,
        channel=f.channel,
        current=f.current,
        previous=f.previous,
        median_change_minutes=change,
        coverage=f.coverage,
        suggested_calls=f.suggestions,
    )
    return tool_result(out, text, budget=budget)


def _duration_minutes(minutes: float | None) -> str:
    if minutes is None:
        return "—"
    if minutes < 60:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


def _line(label: str, f: FirstReplyFigures, at: datetime, zone: tzinfo) -> str:
    if not f.conversations:
        return f"- {label}: no conversations started by a customer in this window"
    parts = [f"{f.replied} of {f.conversations} answered"]
    if f.replied:
        parts.append(
            f"median {_duration_minutes(f.median_minutes)}, mean {_duration_minutes(f.mean_minutes)}, "
            f"90% within {_duration_minutes(f.p90_minutes)}"
        )
    if f.unanswered:
        since = f.oldest_unanswered_since
        oldest = when(since, zone)
        waited = ""
        if since:
            waited = f", waiting {_duration_minutes((at - datetime.fromisoformat(since.replace('Z', '+00:00'))).total_seconds() / 60)}"
        parts.append(
            f"{f.unanswered} still unanswered (oldest since {oldest}{waited}, "
            f"conversation_id={f.oldest_unanswered_conversation_id})"
        )
    return f"- {label}: " + "; ".join(parts)


def _block(w: ResponseTimesWindow, at: datetime, zone: tzinfo) -> list[str]:
    lines = [_line("overall", w.overall, at, zone)]
    if len(w.by_channel) > 1:  # one channel alone would repeat the overall line
        lines += ["  " + _line(name, f, at, zone) for name, f in w.by_channel.items()]
    return lines
