"""list_organizations: the organizations this API key can access."""

from __future__ import annotations

from dataclasses import dataclass
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
    # take, fetch
    state = app(ctx)
    orgs = await state.organizations()
    # compute
    pinned = state.settings.organization_id
    refs = [OrgRef(organization_id=o.organization_id, name=o.name) for o in orgs]
    # The first one needs no organization_id when configuration pins one or the key sees one alone.
    first = None if pinned or len(refs) <= 1 else refs[0].organization_id
    suggestions = state.available([call("inbox_overview", organization_id=first)]) if refs else []
    # show
    found = Organizations(organizations=refs, pinned=pinned, suggestions=suggestions)
    return shown(found, budget=state.settings.max_output_chars)


@dataclass(frozen=True)
class Organizations:
    """The organizations the key sees, before any text: the input of `shown`."""

    organizations: list[OrgRef]
    pinned: str | None  # HYPERREP_ORGANIZATION_ID, when configured
    suggestions: list[str]


def shown(f: Organizations, *, budget: int) -> CallToolResult:
    """The whole result: a header counting them, one line each with its organization_id, the pinned
    one marked; a key that sees none says where to look."""
    lines = [
        f"- {r.name or '(unnamed)'} · organization_id={r.organization_id}"
        + (" (pinned by configuration)" if r.organization_id == f.pinned else "")
        for r in f.organizations
    ]
    header = f"Organizations this key can access — {len(f.organizations)}"
    text, kept = fit(
        header,
        lines,
        lambda _k: next_steps(f.suggestions),
        budget,
        cut_note="(output limit reached: {n} more organizations not shown)",
    )
    if not f.organizations:
        text = f"{header}\nNone: the key works but sees no organization. Check the key's account in HyperRep."
    return tool_result(
        OrganizationsOut(organizations=f.organizations[:kept], suggested_calls=f.suggestions),
        text,
        budget=budget,
    )
