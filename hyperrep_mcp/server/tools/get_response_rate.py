"""get_response_rate: how many customer conversations we answered in a window, optionally against the previous one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from hyperrep_mcp.render.layout import call, fit, next_steps
from hyperrep_mcp.render.views import OrgRef, RateFigures, ResponseRateOut
from hyperrep_mcp.server.concurrency import gather
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import tool_result
from hyperrep_mcp.server.tools.common import (
    DateWindow,
    EndDate,
    OrganizationId,
    StartDate,
    app,
    org_ref,
    rate_figures,
    rate_line,
    resolve_window,
)
from hyperrep_mcp.server.tools.periods import Period

EXAMPLE: dict = {"period": "this_month", "compare_to_previous": True}


@tool("Get response rate")
async def get_response_rate(
    ctx: Context,
    start_date: StartDate = None,
    end_date: EndDate = None,
    period: Period = None,
    compare_to_previous: Annotated[
        bool,
        Field(
            description="Also the previous period of the same kind (equal length before explicit dates) "
            "and the change"
        ),
    ] = False,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ResponseRateOut]:
    """Conversations received vs answered, and the response rate, for a window (default last 30 days), optionally vs the previous period.

    Reply speed: get_response_times; who waits now: inbox_overview. Example: get_response_rate(period="this_month", compare_to_previous=true)
    """
    # take
    state = app(ctx)
    window = resolve_window(period, start_date, end_date, default="last_30_days", zone=state.settings.zone)
    org = await state.org_id(organization_id)

    # fetch: the window, the organization's name and the previous window, all at once
    async def fetch(w: DateWindow) -> RateFigures:
        return rate_figures(w, await state.api.get_response_rate(org, start_date=w.start, end_date=w.end))

    calls = [lambda: fetch(window), lambda: org_ref(state, org)]
    if compare_to_previous:
        calls.append(lambda: fetch(window.previous()))
    results = await gather(*calls)
    # show
    found = Rates(
        organization=results[1],
        window=window,
        current=results[0],
        previous=results[2] if compare_to_previous else None,
        suggestions=state.available([call("inbox_overview")]),
    )
    return shown(found, budget=state.settings.max_output_chars)


@dataclass(frozen=True)
class Rates:
    """What the response rate came to, before any text: the input of `shown`."""

    organization: OrgRef
    window: DateWindow
    current: RateFigures
    previous: RateFigures | None  # the figures of window.previous(), when compared
    suggestions: list[str]


def shown(f: Rates, *, budget: int) -> CallToolResult:
    """The whole result: the rate in the window, and when compared the previous window's and the
    change in percentage points."""
    change = None
    if f.previous and f.current.rate_percent is not None and f.previous.rate_percent is not None:
        change = round(f.current.rate_percent - f.previous.rate_percent, 1)
    header = f"Response rate in {f.organization.name}, {f.window.text()}: {rate_line(f.current)}"
    lines = []
    if f.previous:
        lines.append(f"Previous window, {f.window.previous().text()}: {rate_line(f.previous)}")
        if change is not None:
            direction = "up" if change > 0 else "down" if change < 0 else "unchanged"
            lines.append(f"Change: {change:+g} percentage points ({direction})")
    text, _ = fit(header, lines, lambda _k: next_steps(f.suggestions), budget)
    out = ResponseRateOut(
        organization=f.organization, current=f.current, previous=f.previous, change_points=change
    )
    return tool_result(out, text, budget=budget)
