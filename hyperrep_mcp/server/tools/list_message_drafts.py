"""list_message_drafts: new outbound emails/texts waiting for review or queued to send."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, join_fields, next_steps
from hyperrep_mcp.render.views import MessageDraftsOut, MessageDraftView, OrgRef
from hyperrep_mcp.server.concurrency import gather
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import fitted_result
from hyperrep_mcp.server.tools.common import (
    Cursor,
    EndDate,
    Limit,
    OrganizationId,
    ResponseFormat,
    StartDate,
    app,
    listing_dates,
    org_ref,
    walk,
)

EXAMPLE: dict = {"start_date": "2026-11-01"}


@tool("List message drafts")
async def list_message_drafts(
    ctx: Context,
    start_date: StartDate = None,
    end_date: EndDate = None,
    limit: Limit = 25,
    cursor: Cursor = None,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, MessageDraftsOut]:
    """Drafts of new outbound emails/texts (not replies) with status: saved for review or queued to send.

    Dates filter on creation. Reply drafts: list_response_drafts. Example: list_message_drafts(start_date="2026-11-01")
    """
    # take
    state = app(ctx)
    start, end = listing_dates(start_date, end_date, zone=state.settings.zone)
    org = await state.org_id(organization_id)
    detailed = response_format == "detailed"

    # fetch
    async def fetch(api_cursor: str | None, size: int):
        return await state.api.list_message_drafts(
            org, limit=size, cursor=api_cursor, start_date=start, end_date=end
        )

    found, organization = await gather(
        lambda: walk(fetch, cursor, limit=limit, page_size=limit), lambda: org_ref(state, org)
    )
    # compute
    views = [records.message_draft_view(d, detailed=detailed) for d in found.items]
    drafts = MessageDrafts(
        organization=organization,
        drafts=views,
        next_cursor=found.next_cursor,
        suggested=state.available([call("get_message_draft", draft_id=v.draft_id) for v in views[:1]]),
        with_body=detailed,
        zone=state.settings.zone,
    )
    # show
    return shown(drafts, budget=state.settings.max_output_chars)


@dataclass(frozen=True)
class MessageDrafts:
    """What the listing found, before any text: the input of `shown`."""

    organization: OrgRef
    drafts: list[MessageDraftView]
    next_cursor: Callable[[int], str | None]  # after the first n shown
    suggested: list[str]
    with_body: bool  # detailed: each draft's body under its line
    zone: tzinfo = UTC  # HYPERREP_TIMEZONE, in which the times read


def shown(f: MessageDrafts, *, budget: int) -> CallToolResult:
    """The whole result: a header counting saved and queued drafts, one line per draft (with its
    body when detailed), the cursor after the last one shown; text and structured output cut alike."""
    organization, views, next_cursor, suggested = f.organization, f.drafts, f.next_cursor, f.suggested

    def header(kept: int) -> str:
        saved = sum(v.status == "saved" for v in views[:kept])
        counts = join_fields(
            f"{saved} saved for review" if saved else None,
            f"{kept - saved} queued to send" if kept > saved else None,
        )
        return f"Message drafts in {organization.name} — {kept} shown" + (f" ({counts})" if counts else "")

    def footer(kept: int) -> list[str]:
        nxt = next_cursor(kept)
        out = [f'next cursor: {nxt} (more: list_message_drafts(cursor="{nxt}"))'] if nxt else []
        if not views:
            out.append("No message drafts.")
        return out + next_steps(suggested)

    lines = [records.message_draft_line(v, with_body=f.with_body, zone=f.zone) for v in views]
    return fitted_result(
        lambda limit: fit(header, lines, footer, budget, limit=limit),
        lambda kept: MessageDraftsOut(
            organization=organization, drafts=views[:kept], next_cursor=next_cursor(kept)
        ),
        total=len(views),
        list_name="drafts",
        budget=budget,
    )
