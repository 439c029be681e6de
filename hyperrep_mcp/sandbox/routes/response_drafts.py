"""Response drafts: the one pending reply per conversation (page 03)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.responses import Response

from hyperrep_mcp.sandbox.dataset import OrgData
from hyperrep_mcp.sandbox.errors import ApiError, Messages
from hyperrep_mcp.sandbox.records import Conversation, ResponseDraft, iso
from hyperrep_mcp.sandbox.routes.common import DEFAULT_LIMIT, Call, endpoint, in_range
from hyperrep_mcp.sandbox.validation import normalize_email


@endpoint
async def upsert_draft(call: Call) -> dict[str, Any]:
    body = await call.body()
    body_html = body.string("body_html", required=True)
    cc = body.string_list("cc_emails")
    bcc = body.string_list("bcc_emails")
    autosend = body.boolean("autosend_draft", False)
    notify = body.boolean("add_notification", True)
    body.check()
    org = call.org()
    conv = call.conversation(org)
    if autosend and notify:
        raise ApiError(400, Messages.FLAGS_EXCLUSIVE)
    if not (body_html or "").strip():
        raise ApiError(400, Messages.EMPTY_BODY)
    cc_emails = tuple(normalize_email(e) for e in cc)
    bcc_emails = tuple(normalize_email(e) for e in bcc)
    now = call.sandbox.now()
    scheduled = now if autosend else None
    existing = org.response_draft_for(conv.conversation_id)
    if existing is not None and existing.scheduled_send_at is not None:
        raise ApiError(400, Messages.RESPONSE_DRAFT_SENDING_UPDATE)
    if existing is not None:
        # One row per conversation: overwrite in place, keeping its ID.
        draft = replace(
            existing,
            body_html=body_html,
            cc_emails=cc_emails,
            bcc_emails=bcc_emails,
            scheduled_send_at=scheduled,
            add_notification=notify,
        )
    else:
        contact = org.contacts[conv.contact_id]
        draft = ResponseDraft(
            response_id=call.sandbox.new_id("response-draft"),
            conversation_id=conv.conversation_id,
            body_html=body_html or "",
            recipient_name=contact.name,
            recipient_email=contact.email,
            recipient_phone_number=contact.phone_number,
            created_at=now,
            cc_emails=cc_emails,
            bcc_emails=bcc_emails,
            scheduled_send_at=scheduled,
            add_notification=notify,
        )
    org.response_drafts[draft.response_id] = draft
    return {
        "response_id": draft.response_id,
        "conversation_id": draft.conversation_id,
        "scheduled_to_send": draft.scheduled_send_at is not None,
        "scheduled_send_at": iso(draft.scheduled_send_at),
    }


@endpoint
async def list_drafts(call: Call) -> dict[str, Any]:
    limit = call.query.limit(DEFAULT_LIMIT)
    start, end = call.date_range()
    org = call.org()
    conv = call.conversation(org)
    drafts = [
        d
        for d in org.response_drafts.values()
        if d.conversation_id == conv.conversation_id and in_range(d.created_at, start, end)
    ]
    drafts.sort(key=lambda d: (d.created_at, d.response_id), reverse=True)
    return call.page(
        drafts,
        collection=f"response-drafts:{org.organization_id}:{conv.conversation_id}",
        to_json=ResponseDraft.to_json,
        limit=limit,
    )


def locate(call: Call, org: OrgData, conv: Conversation) -> ResponseDraft:
    """The pending draft of this conversation, or the 404 that says where the ID leads."""
    response_id = call.path("response_id")
    oid, cid = org.organization_id, conv.conversation_id
    draft = org.response_drafts.get(response_id)
    if draft is not None and draft.conversation_id == cid:
        return draft
    promoted = org.promoted_response_drafts.get(response_id)
    if promoted is not None and promoted.conversation_id == cid:
        template = (
            Messages.RESPONSE_DRAFT_PROMOTED
            if call.sandbox.config.implied_endpoints
            else Messages.RESPONSE_DRAFT_PROMOTED_NO_DETAIL
        )
        raise ApiError(404, template.format(org=oid, conversation_id=cid, message_id=promoted.message_id))
    if response_id in org.message_drafts or response_id in org.promoted_message_drafts:
        raise ApiError(404, Messages.IS_MESSAGE_DRAFT.format(org=oid, draft_id=response_id))
    raise ApiError(404, Messages.RESPONSE_DRAFT_NOT_FOUND)


@endpoint
async def get_draft(call: Call) -> dict[str, Any]:
    org = call.org()
    return locate(call, org, call.conversation(org)).to_json()


@endpoint
async def delete_draft(call: Call) -> Response:
    org = call.org()
    draft = locate(call, org, call.conversation(org))
    if draft.scheduled_send_at is not None:  # queued, not yet promoted
        raise ApiError(400, Messages.RESPONSE_DRAFT_SENDING)
    del org.response_drafts[draft.response_id]
    return Response(status_code=204)
