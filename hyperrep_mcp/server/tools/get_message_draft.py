"""get_message_draft: one message draft in full, or where it went."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from hyperrep_mcp.api.errors import NotFoundError
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, next_steps
from hyperrep_mcp.render.views import MessageDraftOut
from hyperrep_mcp.server.concurrency import gather
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import tool_result
from hyperrep_mcp.server.tools.common import (
    OrganizationId,
    ResponseFormat,
    app,
    id_field,
    moved_or_missing,
    org_ref,
)

DraftId = Annotated[str, id_field("From list_message_drafts")]

EXAMPLE: dict = {"draft_id": "HR_id_DdtGjfQUEHspup_iFLfHGw"}


@tool("Get message draft")
async def get_message_draft(
    ctx: Context,
    draft_id: DraftId,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, MessageDraftOut]:
    """One message draft in full: recipient, subject, body text, status, folder.

    If it was sent, it names the tool that reads it now. Example: get_message_draft(draft_id="HR_id_d4Tz9")
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
