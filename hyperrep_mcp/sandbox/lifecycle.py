"""Draft lifecycle: saved drafts stay; queued drafts are "currently sending", then promoted.

A draft queued with ``autosend_draft=true`` gets ``scheduled_send_at = now``. For
``promote_after_s`` it is "currently sending" (DELETE answers 400), after which it is promoted:

* a message draft becomes a new conversation whose first message is ours, with the contact
  matching the recipient (created if there is none);
* a response draft becomes an outbound message in its conversation.

The draft then disappears, and its ID answers 404 with a hint naming where it went. Promotion is
evaluated lazily at the start of each request, against the sandbox clock.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from hyperrep_mcp.sandbox.dataset import OrgData
from hyperrep_mcp.sandbox.records import (
    Contact,
    Conversation,
    Message,
    MessageDraft,
    PromotedMessageDraft,
    PromotedResponseDraft,
    ResponseDraft,
)

NewId = Callable[[str], str]

_TAG = re.compile(r"<[^>]+>")


def html_to_text(body_html: str | None) -> str:
    """Plain text for an SMS made from an HTML draft body."""
    text = _TAG.sub(" ", (body_html or "").replace("</p>", "\n"))
    return "\n".join(" ".join(line.split()) for line in html.unescape(text).splitlines() if line.strip())


def is_sending(scheduled_send_at: datetime | None) -> bool:
    """Queued and not yet promoted (callers promote due drafts first)."""
    return scheduled_send_at is not None


def _recipient_contact(org: OrgData, draft: MessageDraft, now: datetime, new_id: NewId) -> Contact:
    if draft.modality == "email" and draft.recipient_email:
        matches = org.find_contacts(email=draft.recipient_email)
    else:
        digits = "".join(ch for ch in draft.recipient_phone_number or "" if ch.isdigit())
        matches = org.find_contacts(phone_digits=digits) if digits else []
    if matches:
        return matches[0]
    contact = Contact(
        contact_id=new_id("contact"),
        name=draft.recipient_name,
        email=draft.recipient_email,
        phone_number=draft.recipient_phone_number,
        created_at=now,
    )
    org.contacts[contact.contact_id] = contact
    return contact


def _sender(org: OrgData, agent_id: str) -> tuple[str, str]:
    agent = org.agents.get(agent_id) or next(iter(org.agents.values()))
    return agent.name, agent.email


def promote_message_draft(
    org: OrgData, draft: MessageDraft, sent_at: datetime, new_id: NewId
) -> Conversation:
    contact = _recipient_contact(org, draft, sent_at, new_id)
    conv = Conversation(
        conversation_id=new_id("conversation"),
        contact_id=contact.contact_id,
        modality=draft.modality,
        subject=draft.subject if draft.modality == "email" else None,
        topic="outreach",
        folder="inbox",
        is_read=True,
        start_at=sent_at,
        last_activity_at=sent_at,
    )
    org.conversations[conv.conversation_id] = conv
    name, email = _sender(org, draft.agent_id)
    org.append_message(
        Message(
            message_id=new_id("message"),
            conversation_id=conv.conversation_id,
            direction="outbound",
            modality=draft.modality,
            subject=conv.subject,
            body_html=draft.body_html if draft.modality == "email" else None,
            body_text=html_to_text(draft.body_html or draft.subject) if draft.modality == "text" else None,
            sender_name=name,
            sender_email=email if draft.modality == "email" else None,
            sender_phone_number=org.org.phone if draft.modality == "text" else None,
            sent_at=sent_at,
            is_read=True,
        )
    )
    del org.message_drafts[draft.draft_id]
    org.promoted_message_drafts[draft.draft_id] = PromotedMessageDraft(draft.draft_id, conv.conversation_id)
    return conv


def promote_response_draft(org: OrgData, draft: ResponseDraft, sent_at: datetime, new_id: NewId) -> Message:
    conv = org.conversations[draft.conversation_id]
    name, email = _sender(org, next(iter(org.agents)))
    email_thread = conv.modality == "email"
    message = Message(
        message_id=new_id("message"),
        conversation_id=conv.conversation_id,
        direction="outbound",
        modality=conv.modality,
        subject=f"Re: {conv.subject}" if email_thread and conv.subject else None,
        body_html=draft.body_html if email_thread else None,
        body_text=None if email_thread else html_to_text(draft.body_html),
        sender_name=name,
        sender_email=email if email_thread else None,
        sender_phone_number=None if email_thread else org.org.phone,
        sent_at=sent_at,
        is_read=True,
    )
    org.append_message(message)
    del org.response_drafts[draft.response_id]
    org.promoted_response_drafts[draft.response_id] = PromotedResponseDraft(
        draft.response_id, conv.conversation_id, message.message_id
    )
    return message


def promote_due(org: OrgData, now: datetime, after: timedelta, new_id: NewId, *, force: bool = False) -> int:
    """Promote every queued draft whose sending window has passed (all queued ones if ``force``)."""
    promoted = 0
    for draft in list(org.message_drafts.values()):
        if draft.scheduled_send_at is not None and (force or now >= draft.scheduled_send_at + after):
            promote_message_draft(org, draft, min(now, draft.scheduled_send_at + after), new_id)
            promoted += 1
    for rdraft in list(org.response_drafts.values()):
        if rdraft.scheduled_send_at is not None and (force or now >= rdraft.scheduled_send_at + after):
            promote_response_draft(org, rdraft, min(now, rdraft.scheduled_send_at + after), new_id)
            promoted += 1
    return promoted
