"""list_agents: the organization's own people (rendered generically: the API documents no fields
for them)."""

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

EXAMPLE: dict = {}


@tool("List agents")
async def list_agents(
    ctx: Context,
    limit: Limit = 25,
    cursor: Cursor = None,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, RecordsOut]:
    """Agents: our own people (sales reps, estimators) who own drafts and conversations.

    Use it to name an agent_id (message drafts carry one). Example: list_agents()
    """
    state = app(ctx)
    org = await state.org_id(organization_id)
    return await records_listing(
        state,
        org=org,
        kind="agents",
        tool_name="list_agents",
        id_key="agent_id",
        fetch=lambda c, n: state.api.list_agents(org, limit=n, cursor=c),
        cursor=cursor,
        limit=limit,
        detailed=response_format == "detailed",
    )
