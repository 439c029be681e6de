"""Reading drafts: message drafts (new outreach) and response drafts (replies in a conversation)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from hyperrep_mcp.api.errors import NotFoundError
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, join_fields, next_steps
from hyperrep_mcp.render.views import MessageDraftOut, MessageDraftsOut, ResponseDraftOut, ResponseDraftsOut
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
    explain_not_found,
    id_field,
    listing_dates,
    org_ref,
    route_ids,
    walk,
)

DraftId = Annotated[str, id_field("draft_id from list_message_drafts")]
ConversationId = Annotated[str, id_field("conversation_id the draft replies in")]
ResponseId = Annotated[str, id_field("response_id from list_response_drafts")]


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
    """Message drafts (new outbound emails/texts) with their status: saved for review, or queued to send.

    Use it to see what outreach is waiting for a person to review. Replies inside a conversation are
    response drafts instead (list_response_drafts). Dates filter on creation. Example: list_message_drafts().
    """
    state = app(ctx)
    start, end = listing_dates(start_date, end_date, zone=state.settings.zone)
    org = await state.org_id(organization_id)
    detailed = response_format == "detailed"

    async def fetch(api_cursor: str | None, size: int):
        return await state.api.list_message_drafts(
            org, limit=size, cursor=api_cursor, start_date=start, end_date=end
        )

    found, organization = await gather(
        lambda: walk(fetch, cursor, limit=limit, page_size=limit), lambda: org_ref(state, org)
    )
    views = [records.message_draft_view(d, detailed=detailed) for d in found.items]

    def header(kept: int) -> str:
        saved = sum(v.status == "saved" for v in views[:kept])
        counts = join_fields(
            f"{saved} saved for review" if saved else None,
            f"{kept - saved} queued to send" if kept > saved else None,
        )
        return f"Message drafts in {organization.name} — {kept} shown" + (f" ({counts})" if counts else "")

    lines = [records.message_draft_line(v, with_body=detailed) for v in views]

    def footer(kept: int) -> list[str]:
        nxt = found.next_cursor(kept)
        out = [f'next cursor: {nxt} (more: list_message_drafts(cursor="{nxt}"))'] if nxt else []
        if not views:
            out.append("No message drafts.")
        return out + next_steps(
            state.available([call("get_message_draft", draft_id=v.draft_id) for v in views[:1]])
        )

    return fitted_result(
        lambda limit: fit(header, lines, footer, state.settings.max_output_chars, limit=limit),
        lambda kept: MessageDraftsOut(
            organization=organization, drafts=views[:kept], next_cursor=found.next_cursor(kept)
        ),
        total=len(views),
        list_name="drafts",
        budget=state.settings.max_output_chars,
    )


@tool("Get message draft")
async def get_message_draft(
    ctx: Context,
    draft_id: DraftId,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, MessageDraftOut]:
    """One message draft in full: recipient, subject, body as text, status, folder.

    If the draft was already sent, HyperRep moved it into a conversation and this tool says which tool
    reads it now. Example: get_message_draft(draft_id="HR_id_...").
    """
    state = app(ctx)
    org = await state.org_id(organization_id)
    try:
        draft, organization = await gather(
            lambda: state.api.get_message_draft(org, draft_id), lambda: org_ref(state, org)
        )
    except NotFoundError as exc:
        return moved_or_missing(exc, state, kind="message", draft_id=draft_id)
    view = records.message_draft_view(draft, detailed=response_format == "detailed")
    suggestions = state.available(
        [call("delete_message_draft", draft_id=draft_id)] if view.status == "saved" else []
    )
    header = f"Message draft in {organization.name}"
    text, _ = fit(
        header,
        [records.message_draft_line(view, with_body=True)],
        lambda _k: next_steps(suggestions),
        state.settings.max_output_chars,
    )
    return tool_result(
        MessageDraftOut(organization=organization, draft=view, suggested_calls=suggestions),
        text,
        budget=state.settings.max_output_chars,
    )


@tool("List response drafts")
async def list_response_drafts(
    ctx: Context,
    conversation_id: ConversationId,
    limit: Limit = 25,
    cursor: Cursor = None,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ResponseDraftsOut]:
    """Response drafts (replies awaiting review or queued) in one conversation, with their text.

    A conversation has at most one pending reply draft; get_conversation_thread shows it too.
    Example: list_response_drafts(conversation_id="HR_id_...").
    """
    state = app(ctx)
    org = await state.org_id(organization_id)
    detailed = response_format == "detailed"

    async def fetch(api_cursor: str | None, size: int):
        return await state.api.list_response_drafts(org, conversation_id, limit=size, cursor=api_cursor)

    with explain_not_found(
        f"No conversation with conversation_id={conversation_id} in this organization. "
        "Find conversations with inbox_overview or list_conversations."
    ):
        found, organization = await gather(
            lambda: walk(fetch, cursor, limit=limit, page_size=limit), lambda: org_ref(state, org)
        )
    views = [records.response_draft_view(d, detailed=detailed) for d in found.items]

    def header(kept: int) -> str:
        return f"Response drafts in {organization.name}, conversation_id={conversation_id} — {kept} shown"

    def footer(kept: int) -> list[str]:
        nxt = found.next_cursor(kept)
        out = (
            [
                f'next cursor: {nxt} (more: list_response_drafts(conversation_id="{conversation_id}", cursor="{nxt}"))'
            ]
            if nxt
            else []
        )
        if not views:
            out.append("No response drafts in this conversation.")
        return out + next_steps(
            state.available([call("upsert_response_draft", conversation_id=conversation_id)])
        )

    blocks = [records.response_draft_block(v) for v in views]
    return fitted_result(
        lambda limit: fit(header, blocks, footer, state.settings.max_output_chars, limit=limit),
        lambda kept: ResponseDraftsOut(
            organization=organization,
            conversation_id=conversation_id,
            drafts=views[:kept],
            next_cursor=found.next_cursor(kept),
        ),
        total=len(views),
        list_name="drafts",
        budget=state.settings.max_output_chars,
    )


@tool("Get response draft")
async def get_response_draft(
    ctx: Context,
    conversation_id: ConversationId,
    response_id: ResponseId,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ResponseDraftOut]:
    """One response draft in full (recipient, cc/bcc, body as text, status).

    If it was already sent, it is now a message in the thread: this tool then says to use
    get_conversation_thread. Example: get_response_draft(conversation_id="HR_id_...", response_id="HR_id_...").
    """
    state = app(ctx)
    org = await state.org_id(organization_id)
    try:
        draft, organization = await gather(
            lambda: state.api.get_response_draft(org, conversation_id, response_id),
            lambda: org_ref(state, org),
        )
    except NotFoundError as exc:
        return moved_or_missing(
            exc, state, kind="response", draft_id=response_id, conversation_id=conversation_id
        )
    view = records.response_draft_view(draft, detailed=response_format == "detailed")
    suggestions = state.available(
        [call("get_conversation_thread", conversation_id=conversation_id)]
        + (
            [call("delete_response_draft", conversation_id=conversation_id, response_id=response_id)]
            if view.status == "saved"
            else []
        )
    )
    header = f"Response draft in {organization.name}, conversation_id={conversation_id}"
    text, _ = fit(
        header,
        [records.response_draft_block(view)],
        lambda _k: next_steps(suggestions),
        state.settings.max_output_chars,
    )
    return tool_result(
        ResponseDraftOut(organization=organization, draft=view, suggested_calls=suggestions),
        text,
        budget=state.settings.max_output_chars,
    )


def moved_or_missing(
    exc: NotFoundError,
    state: AppState,
    *,
    kind: str,
    draft_id: str,
    conversation_id: str | None = None,
) -> CallToolResult:
    """A draft 404 as the next step: sent drafts live on in a thread, and an ID of the other kind of
    draft names the tool that reads it, with the exact arguments."""
    detail = (exc.detail or "").lower()
    if "organization_id" in detail:
        raise exc  # the registry lists the organizations
    ids = route_ids(exc.route_hint)
    cid = ids.get("conversations") or conversation_id
    if "promot" in detail or "was sent" in detail:
        where = call("get_conversation_thread", conversation_id=cid) if cid else "get_conversation_thread"
        what = "a conversation" if kind == "message" else "a message in its conversation"
        return tool_error(
            f"This {kind} draft was already sent, so it is no longer a draft: it became {what}. "
            f"Read it with {where}."
        )
    if "/response-drafts" in (exc.route_hint or ""):
        return tool_error(
            "This ID belongs to a response draft (a reply in a conversation), not a message draft. "
            f"Read it with {call('get_response_draft', conversation_id=cid, response_id=draft_id)}."
        )
    if "/message-drafts" in (exc.route_hint or ""):
        return tool_error(
            "This ID belongs to a message draft (new outreach), not a response draft. "
            f"Read it with {call('get_message_draft', draft_id=draft_id)}."
        )
    if kind == "message":
        listing = call("list_message_drafts")
    else:
        if "conversation" in detail:
            return tool_error(
                f"No conversation with conversation_id={conversation_id} in this organization. "
                "Find conversations with inbox_overview or list_conversations."
            )
        listing = call("list_response_drafts", conversation_id=conversation_id)
    return tool_error(
        f"No {kind} draft with that ID in this organization: it may have been deleted or sent. "
        f"{listing} shows the drafts that exist."
    )
