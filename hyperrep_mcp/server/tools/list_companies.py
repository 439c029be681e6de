"""list_companies: the customer accounts contacts belong to (rendered generically: the API documents
no fields for them)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from hyperrep_mcp.render.views import RecordsOut
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.tools.common import (
    Cursor,
    Limit,
    OrganizationId,
    ResponseFormat,
    app,
    records_listing,
)

EXAMPLE: dict = {"limit": 50}


@tool("List companies")
async def list_companies(
    ctx: Context,
    limit: Limit = 25,
    cursor: Cursor = None,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, RecordsOut]:
    """Companies (customer accounts, e.g. property managers, HOAs) that contacts belong to.

    Their people: list_contacts with company_id. Example: list_companies(limit=50)
    """
    state = app(ctx)
    org = await state.org_id(organization_id)
    return await records_listing(
        state,
        org=org,
        kind="companies",
        tool_name="list_companies",
        id_key="company_id",
        fetch=lambda c, n: state.api.list_companies(org, limit=n, cursor=c),
        cursor=cursor,
        limit=limit,
        detailed=response_format == "detailed",
    )
