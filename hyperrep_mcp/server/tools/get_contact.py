"""get_contact: one contact's profile and most recent conversations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from hyperrep_mcp.api.errors import HyperRepError
from hyperrep_mcp.api.models import Conversation
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, next_steps
from hyperrep_mcp.render.views import ContactOut, ContactView, ConversationView, OrgRef
from hyperrep_mcp.server.concurrency import gather, map_bounded
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import fitted_result
from hyperrep_mcp.server.state import FANOUT
from hyperrep_mcp.server.tools.common import (
    EPOCH,
    OrganizationId,
    ResponseFormat,
    app,
    company_map,
    explain_not_found,
    id_field,
    latest_message,
    now,
    org_ref,
)

RECENT_CONVERSATIONS = 5


EXAMPLE: dict = {"contact_id": "HR_id_1bR5iGwyYI7XBmD1GrmRnw"}


@tool("Get contact")
async def get_contact(
    ctx: Context,
    contact_id: Annotated[str, id_field()],
    include_conversations: bool = True,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ContactOut]:
    """One contact's profile (email, phone, company, role, custom fields) and recent conversations, each with a gist.

    Use after list_contacts; read a conversation with get_conversation_thread. IDs are opaque: copy them exactly. Example: get_contact(contact_id="HR_id_c7Xq2")
    """
    state = app(ctx)
    org = await state.org_id(organization_id)
    detailed = response_format == "detailed"

    async def conversations():
        if not include_conversations:
            return None
        return await state.api.list_contact_conversations(org, contact_id, limit=25)

    with explain_not_found(
        f"No contact with contact_id={contact_id} in this organization. "
        "Find the contact_id with list_contacts(query=...)."
    ):
        contact, page, companies, organization = await gather(
            lambda: state.api.get_contact(org, contact_id),
            conversations,
            lambda: company_map(state, org),
            lambda: org_ref(state, org),
        )
    state.remember_contacts(org, [contact])
    view = records.contact_view(contact, company=companies.get(contact.company_id or ""), detailed=detailed)
    convs = sorted(
        page.data if page else [], key=lambda c: c.last_activity_at or c.start_at or EPOCH, reverse=True
    )
    recent = convs[:RECENT_CONVERSATIONS] if not detailed else convs

    async def last_of(c: Conversation) -> records.LastMessage | None:
        try:
            last = await latest_message(state, org, c)
        except HyperRepError:  # costs this line its gist, not the profile
            return None
        return records.last_message(last) if last else None

    # Channel, subject and gist come from each conversation's latest message: one concurrent round.
    lasts = await map_bounded(last_of, recent[:RECENT_CONVERSATIONS], limit=FANOUT)
    lasts += [None] * (len(recent) - len(lasts))
    # The contact is the top of this view: concise conversations do not repeat who they are with.
    conv_views = [
        records.with_last_message(
            records.conversation_view(c, contact=contact, detailed=detailed, with_contact=detailed), last
        )
        for c, last in zip(recent, lasts, strict=True)
    ]
    more = bool(page and (page.next_cursor or len(convs) > len(recent)))
    profile = Profile(
        organization=organization,
        contact=view,
        conversations=conv_views if include_conversations else None,
        more=more,
        detailed=detailed,
        now=now(),
        zone=state.settings.zone,
        suggestions=state.available(_suggestions(contact_id, conv_views, more=more)),
    )
    return shown(profile, budget=state.settings.max_output_chars)


@dataclass(frozen=True)
class Profile:
    """What was read of one contact, before any text: the input of `shown`."""

    organization: OrgRef
    contact: ContactView
    conversations: list[ConversationView] | None  # None: not asked for
    more: bool  # the contact has more conversations than these
    detailed: bool
    now: datetime  # what waits are measured to
    suggestions: list[str]
    zone: tzinfo = UTC  # HYPERREP_TIMEZONE, in which the times read


def shown(p: Profile, *, budget: int) -> CallToolResult:
    """The whole result: the contact's line, then their recent conversations newest first (without
    repeating their name on each), then the suggested calls; text and structured output cut alike.
    The first item is the contact itself; the conversations follow it."""
    convs = p.conversations or []
    header = f"Contact in {p.organization.name}: {records.contact_line(p.contact, zone=p.zone)[2:]}"
    items = [
        records.conversation_line(v, with_contact=False, detailed=p.detailed, now=p.now, zone=p.zone)
        for v in convs
    ]
    if p.conversations is not None:
        items.insert(
            0,
            f"Recent conversations, newest first ({len(convs)}{' shown; more exist' if p.more else ''}):"
            if convs
            else "No conversations yet.",
        )
    contact_id = p.contact.contact_id
    return fitted_result(
        lambda limit: fit(
            header,
            items,
            lambda _kept: next_steps(p.suggestions),
            budget,
            cut_note=f'(output limit reached: {{n}} more not shown; list_conversations(contact_id="{contact_id}") lists them all)',
            limit=limit,
        ),
        lambda kept: ContactOut(
            organization=p.organization,
            contact=p.contact,
            conversations=convs[: max(0, kept - 1)] if p.conversations is not None else [],
            more_conversations=p.conversations is not None and (p.more or kept - 1 < len(convs)),
            suggested_calls=p.suggestions,
        ),
        total=len(items),
        list_name="conversations",
        budget=budget,
    )


def _suggestions(contact_id: str, conv_views: list[ConversationView], *, more: bool) -> list[str]:
    calls = [call("get_conversation_thread", conversation_id=v.conversation_id) for v in conv_views[:1]]
    if more:
        calls.append(call("list_conversations", contact_id=contact_id))
    return calls
