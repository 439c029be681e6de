"""Directory tools: organizations, companies, agents and sales (the last three rendered generically,
because the API documents no fields for them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from hyperrep_mcp.api.errors import NotFoundError
from hyperrep_mcp.api.models import Page, Record
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, next_steps
from hyperrep_mcp.render.views import OrganizationsOut, OrgRef, RecordsOut
from hyperrep_mcp.server.concurrency import gather
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import fitted_result, tool_error, tool_result
from hyperrep_mcp.server.state import AppState
from hyperrep_mcp.server.tools.common import (
    Cursor,
    EndDate,
    Limit,
    OrganizationId,
    ResponseFormat,
    StartDate,
    app,
    contact_names,
    listing_dates,
    org_ref,
    walk,
)
from hyperrep_mcp.server.tools.periods import Period


@tool("List organizations")
async def list_organizations(ctx: Context) -> Annotated[CallToolResult, OrganizationsOut]:
    """The HyperRep organizations (businesses) this API key can access, with their organization_id.

    Call it first when another tool says several organizations exist; pass the organization_id you
    need to the other tools. Example: list_organizations().
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


async def _records_listing(
    state: AppState,
    *,
    org: str,
    kind: str,
    tool_name: str,
    id_key: str,
    fetch: Callable[[str | None, int], Awaitable[Page[Record]]],
    cursor: str | None,
    limit: int,
    detailed: bool,
    scope: str = "",
    id_needed: bool = True,
) -> CallToolResult:
    """One renderer for the undocumented listings: whatever fields come back, one line per record.

    Records that point at a contact (sales do) get the contact's name, resolved concurrently like
    conversation listings do: names over IDs. `id_needed=False`: no tool takes the record's own ID,
    so concise text leaves it out (structured output and detailed text keep it).
    """
    found, organization = await gather(
        lambda: walk(fetch, cursor, limit=limit, page_size=limit),
        lambda: org_ref(state, org),
    )
    items = [records.record_dict(r, detailed=detailed) for r in found.items]
    contact_ids = [i["contact_id"] for i in items if isinstance(i.get("contact_id"), str)]
    if contact_ids:
        contacts = await contact_names(state, org, contact_ids)
        for i, item in enumerate(items):
            contact = contacts.get(item.get("contact_id") or "")
            if contact is not None and "contact_name" not in item:
                name = records.contact_name(records.contact_view(contact))
                items[i] = {"contact_name": name, **item}

    def header(kept: int) -> str:
        return f"{kind.capitalize()} in {organization.name} — {kept} shown{scope}"

    def footer(kept: int) -> list[str]:
        nxt = found.next_cursor(kept)
        lines = [f'next cursor: {nxt} (more: {tool_name}(cursor="{nxt}"))'] if nxt else []
        if not items:
            lines.append(f"No {kind} found.")
        return lines

    shown_id = id_key if id_needed or detailed else None
    lines = [
        records.record_line(
            {k: v for k, v in i.items() if k != id_key or shown_id}, shown_id, trailing_ids=("contact_id",)
        )
        for i in items
    ]
    return fitted_result(
        lambda limit: fit(header, lines, footer, state.settings.max_output_chars, limit=limit),
        lambda kept: RecordsOut(
            organization=organization, kind=kind, items=items[:kept], next_cursor=found.next_cursor(kept)
        ),
        total=len(items),
        list_name="items",
        budget=state.settings.max_output_chars,
    )


@tool("List companies")
async def list_companies(
    ctx: Context,
    limit: Limit = 25,
    cursor: Cursor = None,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, RecordsOut]:
    """Companies (customer accounts such as property managers and HOAs) that contacts belong to.

    Use it to see which businesses the organization works with; a contact's company also shows in
    get_contact. Example: list_companies(limit=50).
    """
    state = app(ctx)
    org = await state.org_id(organization_id)
    return await _records_listing(
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


@tool("List agents")
async def list_agents(
    ctx: Context,
    limit: Limit = 25,
    cursor: Cursor = None,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, RecordsOut]:
    """Agents: the organization's own people (sales reps, estimators) who own drafts and conversations.

    Use it to name who on our side is involved; message drafts carry an agent_id. Example: list_agents().
    """
    state = app(ctx)
    org = await state.org_id(organization_id)
    return await _records_listing(
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
    """Sales records (closed jobs), optionally within a date range, with whatever fields HyperRep provides.

    Use it for questions about closed business; for communication use the conversation tools.
    Example: list_sales(start_date="2026-11-01").
    """
    state = app(ctx)
    start, end = listing_dates(start_date, end_date, period=period, zone=state.settings.zone)
    org = await state.org_id(organization_id)
    span = f"{start:%Y-%m-%d}" if start else "…", f"{end:%Y-%m-%d}" if end else "now"
    try:
        return await _records_listing(
            state,
            org=org,
            kind="sales",
            tool_name="list_sales",
            id_key="sale_id",
            fetch=lambda c, n: state.api.list_sales(org, limit=n, cursor=c, start_date=start, end_date=end),
            cursor=cursor,
            limit=limit,
            detailed=response_format == "detailed",
            scope=f" ({span[0]} → {span[1]})" if start or end else "",
            id_needed=False,  # no tool takes a sale_id
        )
    except NotFoundError as exc:
        if "organization_id" in (exc.detail or "").lower():
            raise
        return tool_error(
            "Sales records are not available from this HyperRep API (the sales endpoint answered 404). "
            "Use list_conversations or get_response_rate for activity instead."
        )
