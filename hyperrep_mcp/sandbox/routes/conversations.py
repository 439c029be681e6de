"""Conversations and their messages (page 01 names them; detail routes are implied by page 04)."""

from __future__ import annotations

from typing import Any

from hyperrep_mcp.sandbox.errors import ApiError, Messages
from hyperrep_mcp.sandbox.records import Conversation, Message
from hyperrep_mcp.sandbox.routes.common import DEFAULT_LIMIT, Call, endpoint, in_range
from hyperrep_mcp.sandbox.validation import normalize_folder


@endpoint
async def list_conversations(call: Call) -> dict[str, Any]:
    limit = call.query.limit(DEFAULT_LIMIT)
    start, end = call.date_range()
    org = call.org()
    # Two harmless extras beyond the docs: folder (normalized like draft folders) and contact_id.
    folder = call.query.text("folder")
    wanted_folder = normalize_folder(folder, default="") if folder else None
    contact_id = call.query.text("contact_id")
    if contact_id is not None and contact_id not in org.contacts:
        raise ApiError(404, Messages.INVALID_CONTACT)
    convs = [
        c
        for c in org.conversations_by_activity()
        if in_range(c.last_activity_at, start, end)
        and (wanted_folder is None or c.folder == wanted_folder)
        and (contact_id is None or c.contact_id == contact_id)
    ]
    return call.page(
        convs, collection=f"conversations:{org.organization_id}", to_json=Conversation.summary, limit=limit
    )


@endpoint
async def get_conversation(call: Call) -> dict[str, Any]:
    org = call.org()
    return call.conversation(org).detail()


@endpoint
async def list_messages(call: Call) -> dict[str, Any]:
    limit = call.query.limit(DEFAULT_LIMIT)
    start, end = call.date_range()
    org = call.org()
    conv = call.conversation(org)
    messages = [m for m in org.messages(conv.conversation_id) if in_range(m.sent_at, start, end)]
    return call.page(
        messages,
        collection=f"messages:{org.organization_id}:{conv.conversation_id}",
        to_json=Message.to_json,
        limit=limit,
    )


@endpoint
async def get_message(call: Call) -> dict[str, Any]:
    org = call.org()
    conv = call.conversation(org)
    wanted = call.path("message_id")
    for message in org.messages(conv.conversation_id):
        if message.message_id == wanted:
            return message.to_json()
    raise ApiError(404, Messages.MESSAGE_NOT_FOUND)
