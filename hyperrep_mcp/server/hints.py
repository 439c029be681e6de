"""What to do next after an upstream error: the same advice from a tool body or a confirmation step.

Lifecycle 404s carry a route hint ("use GET /api/v2/organizations/{org}/conversations/{id}/messages");
we turn it into the exact tool call that reads the record where it now lives.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from hyperrep_mcp.api.errors import HyperRepError, NotFoundError
from hyperrep_mcp.render.layout import call


def _segment_after(path: str, name: str) -> str | None:
    parts = [unquote(p) for p in path.split("/")]
    if name in parts:
        i = parts.index(name) + 1
        if i < len(parts) and parts[i] and not parts[i].startswith("{"):
            return parts[i]
    return None


async def error_text(exc: HyperRepError, state: Any | None) -> str:
    """The error's message plus a next step: which organizations exist, or which tool a moved draft needs."""
    if not isinstance(exc, NotFoundError):
        return exc.message
    detail = (exc.detail or "").lower()
    text = exc.message
    hint = exc.route_hint or ""
    conversation = _segment_after(hint, "conversations")
    if "organization_id" in detail:
        orgs = await state.org_list_text() if state is not None else ""
        return f"{text.rstrip('.')}. Organizations this key can access: {orgs}" if orgs else text
    if "/response-drafts" in hint:
        draft = _segment_after(hint, "response-drafts")
        return f"{text} It is a reply draft: use {call('get_response_draft', conversation_id=conversation, response_id=draft)}."
    if "/message-drafts" in hint:
        draft = _segment_after(hint, "message-drafts")
        return f"{text} It is a message draft: use {call('get_message_draft', draft_id=draft)}."
    if conversation:
        return f"{text} It was sent and now lives in the conversation: use {call('get_conversation_thread', conversation_id=conversation)}."
    if "/conversations" in hint:
        return (
            f"{text} It was sent: find it with list_conversations and read it with get_conversation_thread."
        )
    return text
