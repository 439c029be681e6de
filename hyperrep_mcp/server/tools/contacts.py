"""Contact tools: find people (client-side search over the contact list) and read one profile."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from hyperrep_mcp.api.errors import HyperRepError
from hyperrep_mcp.api.models import Contact, Conversation, Message
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, next_steps
from hyperrep_mcp.render.text import one_line, strip_invisible
from hyperrep_mcp.render.views import ContactOut, ContactsOut
from hyperrep_mcp.server.concurrency import gather, map_bounded
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import ToolInputError, fitted_result
from hyperrep_mcp.server.state import FANOUT
from hyperrep_mcp.server.tools.common import (
    EPOCH,
    Cursor,
    Limit,
    OrganizationId,
    ResponseFormat,
    app,
    company_map,
    explain_not_found,
    id_field,
    latest_message,
    org_ref,
    walk,
)

# A query scans at most this many contacts per call; the cursor continues the scan.
QUERY_SCAN_LIMIT = 1000
SCAN_PAGE = 100
RECENT_CONVERSATIONS = 5


_PHONE_LIKE = re.compile(r"^[\d\s().+-]+$")


# Letters that carry no combining accent in Unicode, so NFKD alone leaves them as they are.
_PLAIN_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ł": "l", "þ": "th", "ı": "i"})


def fold(text: str) -> str:
    """What a search compares: no case, no accents, no invisible characters ("zoe" finds "Zoë",
    "orsted" finds "Ørsted")."""
    decomposed = unicodedata.normalize("NFKD", strip_invisible(text).casefold().translate(_PLAIN_LETTERS))
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def _words(text: str) -> str:
    """Folded text with punctuation as spaces: "Acme Roofing, Inc." reads as "acme roofing inc"."""
    return " ".join(re.sub(r"[^\w]+", " ", fold(text)).split())


def contact_matches(contact: Contact, needle: str, company_name: str | None = None) -> bool:
    """Case- and accent-insensitive match over name, email, phone (digits too), role, custom fields and
    the name of the contact's company.

    The whole query may appear in one field, or each of its words somewhere ("prince diana").
    """
    wanted = fold(needle)
    if not wanted:
        return True
    haystack = [contact.name, contact.email, contact.phone_number, contact.company_role, company_name]
    haystack += [f"{k} {v}" for k, v in (contact.custom_fields or {}).items()]
    fields = [fold(str(h)) for h in haystack if h]
    if any(wanted in f for f in fields):
        return True
    if company_name and (words := _words(wanted)) and f" {words} " in f" {_words(company_name)} ":
        return True
    digits = "".join(ch for ch in wanted if ch.isdigit())
    phone = "".join(ch for ch in contact.phone_number or "" if ch.isdigit())
    if len(digits) >= 4 and _PHONE_LIKE.match(wanted):  # "(513) 867-5309" finds 513-867-5309
        return digits in phone or (len(digits) > 10 and digits[-10:] in phone)
    words = wanted.split()
    return len(words) > 1 and all(any(w in f for f in fields) for w in words)


@tool("List or search contacts")
async def list_contacts(
    ctx: Context,
    query: Annotated[
        str | None,
        Field(
            description="Words to find in name, email, phone, role, custom fields or company name "
            "(case- and accent-insensitive)",
            max_length=200,
        ),
    ] = None,
    company_id: Annotated[
        str | None, id_field("Only this company's contacts (company_id from list_companies)", required=False)
    ] = None,
    limit: Limit = 25,
    cursor: Cursor = None,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ContactsOut]:
    """List the organization's contacts (customers who wrote in), or find them by name, email, phone,
    role, custom field or company name with `query`, or the contacts of one company with `company_id`.

    Use this to turn a person's name into a contact_id, then call get_contact for their profile and
    recent conversations. HyperRep has no server-side search, so a query scans the contact list page by
    page (up to 1,000 contacts per call) and reports how far it got; pass the returned cursor to keep
    scanning. Browsing lists name, company and contact_id; matches of a query are shown in full
    (email, phone, role, custom fields), as is every row with response_format="detailed".
    Example: list_contacts(query="diana"); a company's people: list_contacts(query="Cedar Point Senior Living").
    """
    state = app(ctx)
    org = await state.org_id(organization_id)
    needle = (query or "").strip() or None
    company_id = (company_id or "").strip() or None
    detailed = response_format == "detailed"
    filtered = bool(needle or company_id)

    async def fetch(api_cursor: str | None, size: int):
        return await state.api.list_contacts(org, limit=size, cursor=api_cursor)

    async def progress(scanned: int) -> None:
        await ctx.report_progress(scanned, total=QUERY_SCAN_LIMIT, message=f"scanned {scanned} contacts")

    def company_name(c: Contact) -> str | None:
        company = companies.get(c.company_id or "")
        return company.name if company else None

    def match(c: Contact) -> bool:
        if company_id and c.company_id != company_id:
            return False
        return needle is None or contact_matches(c, needle, company_name(c))

    async def scan():
        return await walk(
            fetch,
            cursor,
            limit=limit,
            page_size=SCAN_PAGE if filtered else limit,
            match=match if filtered else None,
            max_scan=QUERY_SCAN_LIMIT if filtered else None,
            on_page=progress if filtered else None,
        )

    if filtered:
        # A filter matches on company names, so they are needed before the scan (cached after the first).
        organization, companies = await gather(lambda: org_ref(state, org), lambda: company_map(state, org))
        if company_id and companies and company_id not in companies:
            raise ToolInputError(
                f"No company with company_id={company_id} in this organization. "
                "Find it with list_companies, or pass the company's name as query."
            )
        found = await scan()
    else:
        found, organization, companies = await gather(
            scan,
            lambda: org_ref(state, org),
            # Companies name the contacts' employers; fetched during the listing, not after it (cached).
            lambda: company_map(state, org),
        )
    state.remember_contacts(org, found.items)
    views = [
        records.contact_view(c, company=companies.get(c.company_id or ""), detailed=detailed)
        for c in found.items
    ]

    # Browsing shows directory rows (name, company, ID); a search shows its matches in full, since
    # the caller is after that person's details. "detailed" shows every field either way.
    brief = not (filtered or detailed)

    at = companies.get(company_id or "")
    where = f" at {one_line(at.name or '') or company_id}" if company_id and at else ""
    where = where or (f" at company_id={company_id}" if company_id else "")

    def header(kept: int) -> str:
        if not filtered:
            how = " (name, company; query or get_contact for email and phone)" if brief and kept else ""
            return f"Contacts in {organization.name} — {kept} shown{how}"
        scan = f"{found.scanned} scanned{'' if found.complete else ', more remain'}"
        # The query is not echoed: the caller just wrote it.
        return f"Contacts in {organization.name}{where} — {kept} match{'es' if kept != 1 else ''} ({scan})"

    def footer(kept: int) -> list[str]:
        nxt = found.next_cursor(kept)
        lines = []
        if nxt:
            more = "continue the scan" if filtered else "more contacts"
            args = _args(needle) + (f'company_id="{company_id}", ' if company_id else "")
            lines.append(f'next cursor: {nxt} ({more}: list_contacts({args}cursor="{nxt}"))')
        if needle and not views and not nxt:
            lines.append(
                "No contact matched. Try a shorter query (a first name, an email domain, the last 4 phone digits)."
            )
        lines += next_steps(suggested(kept))
        return lines

    def suggested(kept: int) -> list[str]:
        # Only one contact makes the next call obvious; with several, any pick would be a guess.
        one = kept == 1 and len(views) == 1  # not one of several that the text budget cut down to one
        return state.available([call("get_contact", contact_id=views[0].contact_id)]) if one else []

    line = records.contact_brief_line if brief else records.contact_line
    lines = [line(v) for v in views]
    return fitted_result(
        lambda limit: fit(header, lines, footer, state.settings.max_output_chars, limit=limit),
        lambda kept: ContactsOut(
            organization=organization,
            contacts=views[:kept],
            query=needle,
            scanned=found.scanned if filtered else None,
            scan_complete=found.complete if filtered else None,
            next_cursor=found.next_cursor(kept),
            suggested_calls=suggested(kept),
        ),
        total=len(views),
        list_name="contacts",
        budget=state.settings.max_output_chars,
    )


def _args(needle: str | None) -> str:
    return f'query="{needle}", ' if needle else ""


@tool("Get contact")
async def get_contact(
    ctx: Context,
    contact_id: Annotated[str, id_field("contact_id from list_contacts")],
    include_conversations: Annotated[
        bool, Field(description="Also list their most recent conversations")
    ] = True,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ContactOut]:
    """One contact's profile (name, email, phone, company and role, custom fields) and their most recent
    conversations, newest first, each with its channel, subject (email), who wrote last and when, and a
    one-line gist of the latest message.

    Use it after list_contacts has given you a contact_id; then read a conversation with
    get_conversation_thread. Example: get_contact(contact_id="HR_id_...").
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

    async def last_of(c: Conversation) -> Message | None:
        try:
            return await latest_message(state, org, c)
        except HyperRepError:  # costs this line its gist, not the profile
            return None

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
    items = [records.conversation_line(v, with_contact=False, detailed=detailed) for v in conv_views]
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
