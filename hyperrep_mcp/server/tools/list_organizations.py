"""list_organizations: the organizations this API key can access."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from hyperrep_mcp.render.layout import call, fit, next_steps
from hyperrep_mcp.render.views import OrganizationsOut, OrgRef
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import tool_result
from hyperrep_mcp.server.tools.common import app

EXAMPLE: dict = {}


@tool("List organizations")
async def list_organizations(ctx: Context) -> Annotated[CallToolResult, OrganizationsOut]:
    """Organizations (businesses) this API key can access, with their organization_id.

    The other tools need organization_id only when the key sees several. Example: list_organizations()
    """
    state = app(ctx)
    orgs = await state.organizations()
    pinned = state.settings.organization_id
    refs = [OrgRef(organization_id=o.organization_id, name=o.name) for o in orgs]
    lines = [
        f"- {r.name or '(unnamed)'} · organization_id={r.organization_id}{' (pinned by configuration)' if r.organization_id == pinned else ''}"
        for r in refs
    ]
    suggestions = (
        state.available(
            [
                call(
                    "inbox_overview",
                    organization_id=None if pinned or len(refs) == 1 else refs[0].organization_id,
                )
            ]
        )
        if refs
        else []
    )
    header = f"Organizations this key can access — {len(refs)}"
    text, kept = fit(
        header,
        lines,
        lambda _k: next_steps(suggestions),
        state.settings.max_output_chars,
        cut_note="(output limit reached: {n} more organizations not shown)",
    )
    if not refs:
        text = f"{header}\nNone: the key works but sees no organization. Check the key's account in HyperRep."
    return tool_result(
        OrganizationsOut(organizations=refs[:kept], suggested_calls=suggestions),
        text,
        budget=state.settings.max_output_chars,
    )
