"""list_sales: closed jobs, optionally within a date range (rendered generically: the API documents
no fields for them)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from hyperrep_mcp.api.errors import NotFoundError
from hyperrep_mcp.render.layout import window_text
from hyperrep_mcp.render.views import RecordsOut
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import tool_error
from hyperrep_mcp.server.tools.common import (
    Cursor,
    EndDate,
    Limit,
    OrganizationId,
    ResponseFormat,
    StartDate,
    app,
    listing_dates,
    records_listing,
)
from hyperrep_mcp.server.tools.periods import Period

EXAMPLE: dict = {"period": "last_month"}


@tool("List sales")
async def list_sales(
    ctx: Context,
    start_date: StartDate = None,
    end_date: EndDate = None,
    period: Period = None,
    limit: Limit = 25,
    cursor: Cursor = None,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, RecordsOut]:
    """Sales records (closed jobs), with whatever fields HyperRep provides.

    For closed business; for communication use the conversation tools. Example: list_sales(period="last_month")
    """
    state = app(ctx)
    start, end = listing_dates(start_date, end_date, period=period, zone=state.settings.zone)
    org = await state.org_id(organization_id)
    try:
        return await records_listing(
            state,
            org=org,
            kind="sales",
            tool_name="list_sales",
            id_key="sale_id",
            fetch=lambda c, n: state.api.list_sales(org, limit=n, cursor=c, start_date=start, end_date=end),
            cursor=cursor,
            limit=limit,
            detailed=response_format == "detailed",
            scope=f" ({window_text(start, end, state.settings.zone)})" if start or end else "",
            id_needed=False,  # no tool takes a sale_id
        )
    except NotFoundError as exc:
        if "organization_id" in (exc.detail or "").lower():
            raise
        return tool_error(
            "Sales records are not available from this HyperRep API (the sales endpoint answered 404). "
            "Use list_conversations or get_response_rate for activity instead."
        )
