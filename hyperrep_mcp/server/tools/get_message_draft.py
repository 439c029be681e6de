"""get_message_draft: one message draft in full, or where it went."""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call
from hyperrep_mcp.render.views import MessageDraftOut
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.tools.common import OrganizationId, ResponseFormat, app, id_field
from hyperrep_mcp.server.tools.draft_reading import fetch_draft, one_draft

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
    # take
    state = app(ctx)
    org = await state.org_id(organization_id)
    # fetch
    found = await fetch_draft(
        state, org, lambda: state.api.get_message_draft(org, draft_id), kind="message", draft_id=draft_id
    )
    if isinstance(found, CallToolResult):
        return found  # sent or gone: the error names the tool that reads it now
    draft, organization = found
    # compute
    view = records.message_draft_view(draft, detailed=response_format == "detailed")
    suggestions = state.available(
        [call("delete_message_draft", draft_id=draft_id)] if view.status == "saved" else []
    )
    # show
    out = MessageDraftOut(organization=organization, draft=view, suggested_calls=suggestions)
    return shown(out, budget=state.settings.max_output_chars, zone=state.settings.zone)


def shown(out: MessageDraftOut, *, budget: int, zone: tzinfo = UTC) -> CallToolResult:
    """The whole result: a header naming the organization, the draft with its whole body, next calls."""
    header = f"Message draft in {out.organization.name}"
    return one_draft(
        out, header, records.message_draft_line(out.draft, with_body=True, zone=zone), budget=budget
    )
