"""delete_message_draft: discard an unsent message draft, after a person's yes (draft_deletion.py)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, ElicitationResult
from mcp.types import CallToolResult

from hyperrep_mcp.render import records
from hyperrep_mcp.render.writes import MessageDraftWriteOut
from hyperrep_mcp.server.confirm import Confirmation, ConfirmDelete
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.tools.common import OrganizationId, id_field
from hyperrep_mcp.server.tools.draft_deletion import DraftKind

EXAMPLE: dict[str, Any] = {"draft_id": "HR_id_DdtGjfQUEHspup_iFLfHGw"}

MESSAGE_DRAFT = DraftKind(
    noun="message draft",
    get=lambda api, org, args: api.get_message_draft(org, args["draft_id"]),
    delete=lambda api, org, args: api.delete_message_draft(org, args["draft_id"]),
    view=records.message_draft_view,
    out=MessageDraftWriteOut,
)


@tool(
    "Delete message draft",
    writes=True,
    destructive=True,
    idempotent=True,
    confirmations={"delete_confirmation": Confirmation(ConfirmDelete, MESSAGE_DRAFT.ask)},
)
async def delete_message_draft(
    ctx: Context,
    draft_id: Annotated[str, id_field("From list_message_drafts")],
    delete_confirmation: ElicitationResult[ConfirmDelete] | None = None,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, MessageDraftWriteOut]:
    """Delete an unsent message draft once a person confirms; the result holds its full content.

    A sent draft is a conversation and cannot be deleted. Reply drafts: delete_response_draft. Example: delete_message_draft(draft_id="HR_id_d4Tz9")
    """
    return await MESSAGE_DRAFT.run(ctx, {"draft_id": draft_id}, delete_confirmation, organization_id)
