"""What both get_*_draft tools share (SPEC section 2): the draft fetched with its organization's name,
a 404 turned into where the draft went, and the shape of the whole result (a header, the draft
whole, the next calls).

A draft lives on after it is sent, as a message in a conversation, and the two kinds of draft have
IDs of the same alphabet, so a draft "not found" is answered with the tool that reads it now.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar
from urllib.parse import unquote

from mcp.types import CallToolResult

from hyperrep_mcp.api.errors import NotFoundError
from hyperrep_mcp.render.layout import call, fit, next_steps
from hyperrep_mcp.render.views import MessageDraftOut, OrgRef, ResponseDraftOut
from hyperrep_mcp.server.concurrency import gather
from hyperrep_mcp.server.results import tool_error, tool_result
from hyperrep_mcp.server.state import AppState
from hyperrep_mcp.server.tools.common import org_ref

D = TypeVar("D")


async def fetch_draft(
    state: AppState,
    org: str,
    get: Callable[[], Awaitable[D]],
    *,
    kind: Literal["message", "response"],
    draft_id: str,
    conversation_id: str | None = None,
) -> tuple[D, OrgRef] | CallToolResult:
    """The draft and the organization, fetched together; a draft that is not there is the tool error
    saying where it went (`moved_or_missing`), returned for the tool to return as its answer."""
    try:
        return await gather(get, lambda: org_ref(state, org))
    except NotFoundError as exc:
        return moved_or_missing(exc, state, kind=kind, draft_id=draft_id, conversation_id=conversation_id)


def one_draft(
    out: MessageDraftOut | ResponseDraftOut, header: str, draft: str, *, budget: int
) -> CallToolResult:
    """The whole result of a get_*_draft tool: `header`, the draft's text, the suggested calls; the
    structured output is `out`, both within `budget`."""
    text, _ = fit(header, [draft], lambda _k: next_steps(out.suggested_calls), budget)
    return tool_result(out, text, budget=budget)


def moved_or_missing(
    exc: NotFoundError,
    state: AppState,
    *,
    kind: str,
    draft_id: str,
    conversation_id: str | None = None,
) -> CallToolResult:
    """A draft 404 as the next step: sent drafts live on in a thread, and an ID of the other kind of
    draft names the tool that reads it, with the exact arguments."""
    detail = (exc.detail or "").lower()
    if "organization_id" in detail:
        raise exc  # the registry lists the organizations
    ids = route_ids(exc.route_hint)
    cid = ids.get("conversations") or conversation_id
    if "promot" in detail or "was sent" in detail:
        where = call("get_conversation_thread", conversation_id=cid) if cid else "get_conversation_thread"
        what = "a conversation" if kind == "message" else "a message in its conversation"
        return tool_error(
            f"This {kind} draft was already sent, so it is no longer a draft: it became {what}."
            + _read_with(
                state,
                where,
                lead=" ",
                instead=f" Read it in HyperRep (conversation_id={cid})." if cid else "",
            )
        )
    if "/response-drafts" in (exc.route_hint or ""):
        return tool_error(
            "This ID belongs to a response draft (a reply in a conversation), not a message draft."
            + _read_with(
                state, call("get_response_draft", conversation_id=cid, response_id=draft_id), lead=" "
            )
        )
    if "/message-drafts" in (exc.route_hint or ""):
        return tool_error(
            "This ID belongs to a message draft (new outreach), not a response draft."
            + _read_with(state, call("get_message_draft", draft_id=draft_id), lead=" ")
        )
    if kind == "message":
        listing = call("list_message_drafts")
    else:
        if "conversation" in detail:
            finders = state.available(["inbox_overview", "list_conversations"])
            return tool_error(
                f"No conversation with conversation_id={conversation_id} in this organization."
                + (f" Find conversations with {' or '.join(finders)}." if finders else "")
            )
        listing = call("list_response_drafts", conversation_id=conversation_id)
    shows = f" {listing} shows the drafts that exist." if state.available([listing]) else ""
    return tool_error(
        f"No {kind} draft with that ID in this organization: it may have been deleted or sent.{shows}"
    )


def _read_with(state: AppState, suggestion: str, *, lead: str = "", instead: str = "") -> str:
    """The sentence naming `suggestion`, only when its tool is served here (HYPERREP_EXCLUDE_TOOLS may
    drop it); else `instead`."""
    return f"{lead}Read it with {suggestion}." if state.available([suggestion]) else instead


def route_ids(route_hint: str | None) -> dict[str, str]:
    """IDs in an API path a 404 points at: {'conversations': cid, 'messages': mid, ...}."""
    parts = [p for p in (route_hint or "").split("/") if p]
    return {parts[i]: unquote(parts[i + 1]) for i in range(len(parts) - 1)}
