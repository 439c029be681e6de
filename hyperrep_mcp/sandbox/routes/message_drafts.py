"""Message drafts: new outbound outreach (page 05; page 01's ``/messages-drafts`` alias too)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from hyperrep_mcp.sandbox.dataset import OrgData
from hyperrep_mcp.sandbox.errors import ApiError, Messages
from hyperrep_mcp.sandbox.records import MessageDraft, iso
from hyperrep_mcp.sandbox.routes.common import DEFAULT_LIMIT, Call, endpoint, in_range
from hyperrep_mcp.sandbox.validation import normalize_email, normalize_folder, normalize_phone

MODALITIES = ("email", "text")


async def _create(call: Call) -> MessageDraft:
    body = await call.body()
    modality = body.string("modality", required=True)
    subject = body.string("subject")
    body_html = body.string("body_html")
    to_name = body.string("to_user_name")
    to_email = body.string("to_email")
    to_phone = body.string("to_phone_number")
    cc = body.string_list("cc_emails")
    bcc = body.string_list("bcc_emails")
    autosend = body.boolean("autosend_draft", False)
    notify = body.boolean("add_notification", True)
    folder = body.string("folder")
    body.check()
    org = call.org()
    if modality not in MODALITIES:
        raise ApiError(400, Messages.INVALID_MODALITY)
    if autosend and notify:
        raise ApiError(400, Messages.FLAGS_EXCLUSIVE)
    if not (subject or "").strip() and not (body_html or "").strip():
        raise ApiError(400, Messages.DRAFT_NEEDS_CONTENT)
    if modality not in org.org.credentials:
        raise ApiError(400, Messages.NO_CREDENTIALS.format(modality=modality))
    if modality == "email" and not (to_email or "").strip():
        raise ApiError(400, Messages.EMAIL_RECIPIENT_REQUIRED)
    if modality == "text" and not (to_phone or "").strip():
        raise ApiError(400, Messages.TEXT_RECIPIENT_REQUIRED)
    now = call.sandbox.now()
    draft = MessageDraft(
        draft_id=call.sandbox.new_id("message-draft"),
        modality=modality,
        subject=subject,
        body_html=body_html,
        # Drafts created through the API belong to the key's owner: the org's first agent.
        agent_id=next(iter(org.agents)),
        recipient_name=to_name,
        recipient_email=normalize_email(to_email) if to_email else None,
        recipient_phone_number=normalize_phone(to_phone) if to_phone else None,
        folder=normalize_folder(folder),
        created_at=now,
        cc_emails=tuple(normalize_email(e) for e in cc),
        bcc_emails=tuple(normalize_email(e) for e in bcc),
        scheduled_send_at=now if autosend else None,
        add_notification=notify,
    )
    org.message_drafts[draft.draft_id] = draft
    return draft


@endpoint
async def create_draft(call: Call) -> dict[str, Any]:
    draft = await _create(call)
    return {
        "draft_id": draft.draft_id,
        "scheduled_to_send": draft.scheduled_send_at is not None,
        "scheduled_send_at": iso(draft.scheduled_send_at),
        "folder": draft.folder,
    }


@endpoint
async def create_draft_legacy(call: Call) -> dict[str, Any]:
    """The shape page 01 shows for ``/messages-drafts``: clients must parse both."""
    draft = await _create(call)
    return {
        "draft_id": draft.draft_id,
        "queued_to_send": draft.scheduled_send_at is not None,
        "send_at": iso(draft.scheduled_send_at),
        "folder": draft.folder,
    }


@endpoint
async def list_drafts(call: Call) -> dict[str, Any]:
    limit = call.query.limit(DEFAULT_LIMIT)
    start, end = call.date_range()
    org = call.org()
    drafts = [d for d in org.message_drafts.values() if in_range(d.created_at, start, end)]
    drafts.sort(key=lambda d: (d.created_at, d.draft_id), reverse=True)  # newest first
    return call.page(
        drafts, collection=f"message-drafts:{org.organization_id}", to_json=MessageDraft.to_json, limit=limit
    )


def locate(call: Call, org: OrgData) -> MessageDraft:
    """The pending draft, or the 404 that says where the ID really leads."""
    draft_id = call.path("draft_id")
    draft = org.message_drafts.get(draft_id)
    if draft is not None:
        return draft
    oid = org.organization_id
    promoted = org.promoted_message_drafts.get(draft_id)
    if promoted is not None:
        raise ApiError(
            404, Messages.MESSAGE_DRAFT_PROMOTED.format(org=oid, conversation_id=promoted.conversation_id)
        )
    other = org.response_drafts.get(draft_id) or org.promoted_response_drafts.get(draft_id)
    if other is not None:
        raise ApiError(
            404,
            Messages.IS_RESPONSE_DRAFT.format(
                org=oid, conversation_id=other.conversation_id, draft_id=draft_id
            ),
        )
    raise ApiError(404, Messages.MESSAGE_DRAFT_NOT_FOUND)


@endpoint
async def get_draft(call: Call) -> dict[str, Any]:
    return locate(call, call.org()).to_json()


@endpoint
async def delete_draft(call: Call) -> Response:
    org = call.org()
    draft = locate(call, org)
    if draft.scheduled_send_at is not None:  # queued, not yet promoted
        raise ApiError(400, Messages.MESSAGE_DRAFT_SENDING)
    del org.message_drafts[draft.draft_id]
    return Response(status_code=204)
