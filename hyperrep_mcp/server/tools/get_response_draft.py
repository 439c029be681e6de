"""get_response_draft: one reply draft in full, or where it went."""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call
from hyperrep_mcp.render.views import ResponseDraftOut
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.tools.common import ConversationId, OrganizationId, ResponseFormat, app, id_field
from hyperrep_mcp.server.tools.draft_reading import fetch_draft, one_draft

ResponseId = Annotated[str, id_field("From list_response_drafts")]

EXAMPLE: dict = {
    "conversation_id": "HR_id_YDF2iG5L19RKdTZclywzJg",
    "response_id": "gAAAAABl2soLioQd0nsysEwOSH6injz_iEQCcGV22P1Rt43UfTjsWOC8bDgBSV_2i7qBsaPvN6eOd1OyPQGfls8XTB3gvfDr7GgOuFO9AhEZp4BK3wgjaLE=",
}


@tool("Get response draft")
async def get_response_draft(
    ctx: Context,
    conversation_id: ConversationId,
    response_id: ResponseId,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ResponseDraftOut]:
    """One reply draft in full (recipient, cc/bcc, body text, status).

    If it was sent it is a message now: use get_conversation_thread. Example: get_response_draft(conversation_id="HR_id_v8Lm3", response_id="HR_id_r2Kp5")
    """
    # take
    state = app(ctx)
    org = await state.org_id(organization_id)
    # fetch
    found = await fetch_draft(
        state,
        org,
        lambda: state.api.get_response_draft(org, conversation_id, response_id),
        kind="response",
        draft_id=response_id,
        conversation_id=conversation_id,
    )
    if isinstance(found, CallToolResult):
        return found  # sent, gone, or a message draft's ID: the error names the tool that reads it
    draft, organization = found
    # compute
    # The draft is the one at the route asked for, whether or not HyperRep repeats its conversation.
    view = records.response_draft_view(draft, detailed=response_format == "detailed").model_copy(
        update={"conversation_id": conversation_id}
    )
    suggestions = state.available(
        [call("get_conversation_thread", conversation_id=conversation_id)]
        + (
            [call("delete_response_draft", conversation_id=conversation_id, response_id=response_id)]
            if view.status == "saved"
            else []
        )
    )
    # show
    out = ResponseDraftOut(organization=organization, draft=view, suggested_calls=suggestions)
    return shown(out, budget=state.settings.max_output_chars, zone=state.settings.zone)


def shown(out: ResponseDraftOut, *, budget: int, zone: tzinfo = UTC) -> CallToolResult:
    """The whole result: a header naming the organization and the conversation, the draft with its
    whole body, next calls."""
    header = f"Response draft in {out.organization.name}, conversation_id={out.draft.conversation_id}"
    return one_draft(out, header, records.response_draft_block(out.draft, zone=zone), budget=budget)
