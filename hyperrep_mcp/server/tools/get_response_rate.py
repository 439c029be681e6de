"""get_response_rate: how many customer conversations we answered in a window, optionally against the previous one."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from hyperrep_mcp.render.layout import call, fit, next_steps
from hyperrep_mcp.render.views import RateFigures, ResponseRateOut
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
    state = app(ctx)
    window = resolve_window(period, start_date, end_date, default="last_30_days", zone=state.settings.zone)
    org = await state.org_id(organization_id)

    async def fetch(w: DateWindow) -> RateFigures:
        return rate_figures(w, await state.api.get_response_rate(org, start_date=w.start, end_date=w.end))

    before = window.previous()
    calls = [lambda: fetch(window), lambda: org_ref(state, org)]
    if compare_to_previous:
        calls.append(lambda: fetch(before))
    results = await gather(*calls)
    current, organization = results[0], results[1]
    previous = results[2] if compare_to_previous else None
    change = None
    if previous and current.rate_percent is not None and previous.rate_percent is not None:
        change = round(current.rate_percent - previous.rate_percent, 1)

    lines = [f"Response rate in {organization.name}, {window.text()}: {rate_line(current)}"]
    if previous:
        lines.append(f"Previous window, {before.text()}: {rate_line(previous)}")
        if change is not None:
            direction = "up" if change > 0 else "down" if change < 0 else "unchanged"
            lines.append(f"Change: {change:+g} percentage points ({direction})")
    suggestions = state.available([call("inbox_overview")])
    text, _ = fit(lines[0], lines[1:], lambda _k: next_steps(suggestions), state.settings.max_output_chars)
    out = ResponseRateOut(organization=organization, current=current, previous=previous, change_points=change)
    return tool_result(out, text, budget=state.settings.max_output_chars)
