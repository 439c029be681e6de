"""get_contact: one contact's profile and most recent conversations."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from hyperrep_mcp.api.errors import HyperRepError
from hyperrep_mcp.api.models import Conversation
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, next_steps
from hyperrep_mcp.render.views import ContactOut
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
    shown = convs[:RECENT_CONVERSATIONS] if not detailed else convs

    async def last_of(c: Conversation) -> records.LastMessage | None:
        try:
            last = await latest_message(state, org, c)
        except HyperRepError:  # costs this line its gist, not the profile
            return None
        return records.last_message(last) if last else None

    # Channel, subject and gist come from each conversation's latest message: one concurrent round.
    lasts = await map_bounded(last_of, shown[:RECENT_CONVERSATIONS], limit=FANOUT)
    lasts += [None] * (len(shown) - len(lasts))
    # The contact is the top of this view: concise conversations do not repeat who they are with.
    conv_views = [
        records.with_last_message(
            records.conversation_view(c, contact=contact, detailed=detailed, with_contact=detailed), last
        )
        for c, last in zip(shown, lasts, strict=True)
    ]
    more = bool(page and (page.next_cursor or len(convs) > len(shown)))

    header = f"Contact in {organization.name}: {records.contact_line(view)[2:]}"
    # Every conversation here is this contact's: their name on each line would only repeat it.
    current = now()
    items = [
        records.conversation_line(v, with_contact=False, detailed=detailed, now=current) for v in conv_views
    ]
    if include_conversations:
        items.insert(
            0,
            f"Recent conversations, newest first ({len(conv_views)}{' shown; more exist' if more else ''}):"
            if conv_views
            else "No conversations yet.",
        )
    suggestions = [call("get_conversation_thread", conversation_id=v.conversation_id) for v in conv_views[:1]]
    if more:
        suggestions.append(call("list_conversations", contact_id=contact_id))

    # The first item is the contact itself; the conversations follow it.
    return fitted_result(
        lambda limit: fit(
            header,
            items,
            lambda _kept: next_steps(state.available(suggestions)),
            state.settings.max_output_chars,
            cut_note=f'(output limit reached: {{n}} more not shown; list_conversations(contact_id="{contact_id}") lists them all)',
            limit=limit,
        ),
        lambda kept: ContactOut(
            organization=organization,
            contact=view,
            conversations=conv_views[: max(0, kept - 1)] if include_conversations else [],
            more_conversations=include_conversations and (more or kept - 1 < len(conv_views)),
            suggested_calls=state.available(suggestions),
        ),
        total=len(items),
        list_name="conversations",
        budget=state.settings.max_output_chars,
    )
