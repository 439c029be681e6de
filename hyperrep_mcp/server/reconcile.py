"""Finding upstream what a create or send may already have made: what counts as "the same".

The finders answer for ledger.py, which decides when to look: before a create (an identical draft
saved in the last minute, possibly by another replica), before a send (the same message already
queued or sent), and after a create whose outcome is unknown (look first, retry only if nothing
is there).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from hyperrep_mcp.api import HyperRepClient, paginate
from hyperrep_mcp.api.models import Contact, Conversation, Message, MessageDraft, ResponseDraft
from hyperrep_mcp.render.text import message_text
from hyperrep_mcp.server.concurrency import map_bounded

# Our clock and HyperRep's may disagree a little; look this much further back.
CLOCK_SLACK = timedelta(seconds=90)
DRAFT_PAGES = 3
CONTACT_PAGES = 30


def norm_text(html: str | None) -> str:
    """A body as comparable text: what a reader sees, whitespace collapsed, case folded."""
    return re.sub(r"\s+", " ", message_text(html, None, concise=False).body).strip().casefold()


def _digits(value: str | None) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())[-10:]


def same_message_draft(draft: MessageDraft, payload: dict[str, Any]) -> bool:
    if (draft.modality or "").lower() != payload.get("modality"):
        return False
    if payload.get("to_email") and (draft.recipient_email or "").casefold() != payload["to_email"].casefold():
        return False
    if payload.get("to_phone_number") and _digits(draft.recipient_phone_number) != _digits(
        payload["to_phone_number"]
    ):
        return False
    if (draft.subject or "").strip() != (payload.get("subject") or "").strip():
        return False
    return norm_text(draft.body_html) == norm_text(payload.get("body_html"))


async def find_message_draft(
    api: HyperRepClient, org: str, payload: dict[str, Any], since: datetime
) -> MessageDraft | None:
    """A message draft created since `since` with the same recipient, subject and body."""
    start = since - CLOCK_SLACK

    async def fetch(cursor: str | None):
        return await api.list_message_drafts(org, limit=100, cursor=cursor, start_date=start)

    async for page in paginate(fetch, max_pages=DRAFT_PAGES):
        for draft in page.data:
            if same_message_draft(draft, payload):
                return draft
    return None


def same_contact(contact: Contact, payload: dict[str, Any]) -> bool:
    if payload.get("email"):
        return (contact.email or "").casefold() == payload["email"].casefold()
    if payload.get("phone_number"):
        return _digits(contact.phone_number) == _digits(payload["phone_number"])
    return (contact.name or "").strip().casefold() == (payload.get("name") or "").strip().casefold()


async def find_contact(
    api: HyperRepClient, org: str, payload: dict[str, Any], since: datetime
) -> Contact | None:
    """A contact created since `since` matching the email, else phone, else name. Contacts are listed
    oldest first and cannot be filtered, so this walks the list (bounded); it runs only after a
    failure, never on the normal path."""
    start = since - CLOCK_SLACK

    async def fetch(cursor: str | None):
        return await api.list_contacts(org, limit=100, cursor=cursor)

    found = None
    async for page in paginate(fetch, max_pages=CONTACT_PAGES):
        for contact in page.data:
            recent = contact.created_at is None or contact.created_at >= start
            if recent and same_contact(contact, payload):
                found = contact  # keep walking: the newest match is the one we made
    return found


# --- already sent? ---------------------------------------------------------------------------------
# A confirmation lives 600 s (the SDK's request-state lifetime); a send repeated within it, with the
# same content, is the same confirmation answered again (a replay, a retry, another replica).
SENT_WINDOW = timedelta(seconds=600)
SENT_CONVERSATIONS = 20  # new conversations in the window whose first messages are compared


def _same_sent_message(message: Message, payload: dict[str, Any]) -> bool:
    if message.inbound:
        return False
    # A text has no subject once sent (HyperRep keeps none on the message), so only an email's is compared.
    subject = (payload.get("subject") or "").strip()
    if payload.get("modality") != "text" and subject and (message.subject or "").strip() != subject:
        return False
    return norm_text(message.body_html or message.body_text) == norm_text(payload.get("body_html"))


def _same_recipient(contact: Contact | None, payload: dict[str, Any]) -> bool:
    """The contact a sent message's conversation belongs to is the one the payload goes to, by the
    address the modality uses (unknown contact: not the same, so a send is never wrongly refused)."""
    if contact is None:
        return False
    if payload.get("modality") == "text":
        return bool(_digits(contact.phone_number)) and _digits(contact.phone_number) == _digits(
            payload.get("to_phone_number")
        )
    return (contact.email or "").casefold() == (payload.get("to_email") or "").casefold() != ""


async def find_sent_message(
    api: HyperRepClient, org: str, payload: dict[str, Any], now: datetime
) -> MessageDraft | Message | None:
    """The same message to the same recipient queued (a draft with a send time) or already sent
    (promoted into a new conversation whose outbound message has this subject and body, with the
    recipient as its contact) within SENT_WINDOW. Only the newest SENT_CONVERSATIONS conversations
    of the window are looked at."""
    since = now - SENT_WINDOW - CLOCK_SLACK
    draft = await find_message_draft(api, org, payload, since + CLOCK_SLACK)
    if draft is not None and draft.scheduled_send_at is not None:
        return draft
    conversations = await api.list_conversations(org, limit=100, start_date=since)
    recent = [c for c in conversations.data if c.start_at is None or c.start_at >= since]

    async def sent_in(conv: Conversation) -> Message | None:
        messages = await api.list_messages(org, conv.conversation_id, limit=5)
        match = next((m for m in messages.data if _same_sent_message(m, payload)), None)
        if match is None:
            return None
        contact = await api.get_contact(org, conv.contact_id) if conv.contact_id else None
        return match if _same_recipient(contact, payload) else None

    found = await map_bounded(sent_in, recent[:SENT_CONVERSATIONS], limit=SENT_CONVERSATIONS)
    return next((m for m in found if m is not None), None)


async def find_sent_reply(
    api: HyperRepClient,
    org: str,
    conversation_id: str,
    body_html: str,
    now: datetime,
    pending: ResponseDraft | None,
) -> ResponseDraft | Message | None:
    """The same reply queued in this conversation (`pending`, its draft as just listed), or sent (an
    outbound message) within SENT_WINDOW."""
    since = now - SENT_WINDOW - CLOCK_SLACK
    if (
        pending is not None
        and pending.scheduled_send_at is not None
        and norm_text(pending.body_html) == norm_text(body_html)
    ):
        return pending
    messages = await api.list_messages(org, conversation_id, limit=50, start_date=since)
    for message in messages.data:
        recent = message.timestamp is None or message.timestamp >= since
        if recent and _same_sent_message(message, {"body_html": body_html}):
            return message
    return None
