"""list_response_drafts: the reply drafts in one conversation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, next_steps
from hyperrep_mcp.render.views import OrgRef, ResponseDraftsOut, ResponseDraftView
from hyperrep_mcp.server.concurrency import gather
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import fitted_result
from hyperrep_mcp.server.tools.common import (
    ConversationId,
    Cursor,
    Limit,
    OrganizationId,
    ResponseFormat,
    app,
    explain_not_found,
    org_ref,
    walk,
)

EXAMPLE: dict = {"conversation_id": "HR_id_YDF2iG5L19RKdTZclywzJg"}


@tool("List response drafts")
async def list_response_drafts(
    ctx: Context,
    conversation_id: ConversationId,
    limit: Limit = 25,
    cursor: Cursor = None,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ResponseDraftsOut]:
    """Reply drafts (awaiting review or queued) in one conversation, with their text.

    At most one is pending; get_conversation_thread shows it too. Example: list_response_drafts(conversation_id="HR_id_v8Lm3")
    """
    # take
    state = app(ctx)
    org = await state.org_id(organization_id)
    detailed = response_format == "detailed"

    # fetch
    async def fetch(api_cursor: str | None, size: int):
        return await state.api.list_response_drafts(org, conversation_id, limit=size, cursor=api_cursor)

    with explain_not_found(
        f"No conversation with conversation_id={conversation_id} in this organization. "
        "Find conversations with inbox_overview or list_conversations."
    ):
        found, organization = await gather(
            lambda: walk(fetch, cursor, limit=limit, page_size=limit), lambda: org_ref(state, org)
        )
    # compute
    drafts = ResponseDrafts(
        organization=organization,
        conversation_id=conversation_id,
        drafts=[records.response_draft_view(d, detailed=detailed) for d in found.items],
        next_cursor=found.next_cursor,
        suggested=state.available([call("upsert_response_draft", conversation_id=conversation_id)]),
        zone=state.settings.zone,
    )
    # show
    return shown(drafts, budget=state.settings.max_output_chars)


@dataclass(frozen=True)
class ResponseDrafts:
    """What the listing found, before any text: the input of `shown`."""

    organization: OrgRef
    conversation_id: str
    drafts: list[ResponseDraftView]
    next_cursor: Callable[[int], str | None]  # after the first n shown
    suggested: list[str]
    zone: tzinfo = UTC  # HYPERREP_TIMEZONE, in which the times read


def shown(f: ResponseDrafts, *, budget: int) -> CallToolResult:
    """The whole result: a header naming the conversation, one block per draft with its text, the
    cursor after the last one shown; text and structured output cut alike."""
    organization, conversation_id, views, next_cursor = (
        f.organization,
        f.conversation_id,
        f.drafts,
        f.next_cursor,
    )
    suggested = f.suggested

    def header(kept: int) -> str:
        return f"Response drafts in {organization.name}, conversation_id={conversation_id} — {kept} shown"

    def footer(kept: int) -> list[str]:
        nxt = next_cursor(kept)
        out = (
            [
                f'next cursor: {nxt} (more: list_response_drafts(conversation_id="{conversation_id}", cursor="{nxt}"))'
            ]
            if nxt
            else []
        )
        if not views:
            out.append("No response drafts in this conversation.")
        return out + next_steps(suggested)

    blocks = [records.response_draft_block(v, zone=f.zone) for v in views]
    return fitted_result(
        lambda limit: fit(header, blocks, footer, budget, limit=limit),
        lambda kept: ResponseDraftsOut(
            organization=organization,
            conversation_id=conversation_id,
            drafts=views[:kept],
            next_cursor=next_cursor(kept),
        ),
        total=len(views),
        list_name="drafts",
        budget=budget,
    )
