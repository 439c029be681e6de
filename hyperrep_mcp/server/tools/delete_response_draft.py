"""delete_response_draft: discard an unsent reply draft, after a person's yes (draft_deletion.py)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, ElicitationResult
from mcp.types import CallToolResult

from hyperrep_mcp.render import records
from hyperrep_mcp.render.writes import ResponseDraftWriteOut
from hyperrep_mcp.server.confirm import Confirmation, ConfirmDelete
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.tools.common import OrganizationId, id_field
from hyperrep_mcp.server.tools.draft_deletion import DraftKind

EXAMPLE: dict[str, Any] = {
    "conversation_id": "HR_id_YDF2iG5L19RKdTZclywzJg",
    "response_id": "gAAAAABl2soLioQd0nsysEwOSH6injz_iEQCcGV22P1Rt43UfTjsWOC8bDgBSV_2i7qBsaPvN6eOd1OyPQGfls8XTB3gvfDr7GgOuFO9AhEZp4BK3wgjaLE=",
}

REPLY_DRAFT = DraftKind(
    noun="reply draft",
    get=lambda api, org, args: api.get_response_draft(org, args["conversation_id"], args["response_id"]),
    delete=lambda api, org, args: api.delete_response_draft(
        org, args["conversation_id"], args["response_id"]
    ),
    view=records.response_draft_view,
    out=ResponseDraftWriteOut,
)


@tool(
    "Delete reply draft",
    writes=True,
    destructive=True,
    idempotent=True,
    confirmations={"delete_confirmation": Confirmation(ConfirmDelete, REPLY_DRAFT.ask)},
)
async def delete_response_draft(
    ctx: Context,
    conversation_id: Annotated[str, id_field()],
    response_id: Annotated[str, id_field("From list_response_drafts")],
    delete_confirmation: ElicitationResult[ConfirmDelete] | None = None,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ResponseDraftWriteOut]:
    """Delete a conversation's unsent reply draft once a person confirms; the result holds its full content.

    To change it instead: upsert_response_draft(replace_existing=true). Example: delete_response_draft(conversation_id="HR_id_v8Lm3", response_id="HR_id_r2Kp5")
    """
    args = {"conversation_id": conversation_id, "response_id": response_id}
    return await REPLY_DRAFT.run(ctx, args, delete_confirmation, organization_id)
