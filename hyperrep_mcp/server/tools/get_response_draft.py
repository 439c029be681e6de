"""get_response_draft: one reply draft in full, or where it went."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from hyperrep_mcp.api.errors import NotFoundError
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, next_steps
from hyperrep_mcp.render.views import ResponseDraftOut
from hyperrep_mcp.server.concurrency import gather
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import tool_result
from hyperrep_mcp.server.tools.common import (
    ConversationId,
    OrganizationId,
    ResponseFormat,
    app,
    id_field,
    moved_or_missing,
    org_ref,
)

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
