"""list_contacts: browse the contacts, or find them by name, email, phone, role, custom field or company."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from hyperrep_mcp.api.models import Company, Contact
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, next_steps
from hyperrep_mcp.render.text import one_line, strip_invisible
from hyperrep_mcp.render.views import ContactsOut, ContactView, OrgRef
from hyperrep_mcp.server.concurrency import gather
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import ToolInputError, fitted_result
from hyperrep_mcp.server.tools.common import (
    Cursor,
    Limit,
    OrganizationId,
    ResponseFormat,
    Walk,
    app,
    company_map,
    id_field,
    org_ref,
    walk,
)

# A query scans at most this many contacts per call, a page of SCAN_PAGE a request; the cursor
# continues the scan.
QUERY_SCAN_LIMIT = 1000
SCAN_PAGE = 100

EXAMPLE: dict = {"query": "diana"}


@tool("List or search contacts")
async def list_contacts(
    ctx: Context,
    query: Annotated[
        str | None,
        Field(
            description="Words in name, email, phone, role, custom fields or company (any case/accent)",
            max_length=200,
        ),
    ] = None,
    company_id: Annotated[str | None, id_field("From list_companies", required=False)] = None,
    limit: Limit = 25,
    cursor: Cursor = None,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ContactsOut]:
    """Contacts (customers): browse, find with query, or one company's with company_id.

    Turns a name into a contact_id for get_contact. No server-side search: a query scans up to 1,000 contacts per call; pass the returned cursor to scan on. Matches show in full. Example: list_contacts(query="diana")
    """
    # take
    state = app(ctx)
    org = await state.org_id(organization_id)
    needle = (query or "").strip() or None
    company_id = (company_id or "").strip() or None
    detailed = response_format == "detailed"
    # fetch
    if needle or company_id:
        # A filter matches on company names, so they are needed before the scan (cached after the first).
        organization, companies = await gather(lambda: org_ref(state, org), lambda: company_map(state, org))
        if company_id and companies and company_id not in companies:
            raise ToolInputError(
                f"No company with company_id={company_id} in this organization. "
                "Find it with list_companies, or pass the company's name as query."
            )
        found = await _contacts(ctx, org, cursor, limit, lambda c: _wanted(c, needle, company_id, companies))
    else:
        found, organization, companies = await gather(
            lambda: _contacts(ctx, org, cursor, limit, None),
            lambda: org_ref(state, org),
            # Companies name the contacts' employers; fetched during the listing, not after it (cached).
            lambda: company_map(state, org),
        )
    # compute
    state.remember_contacts(org, found.items)
    views = [
        records.contact_view(c, company=companies.get(c.company_id or ""), detailed=detailed)
        for c in found.items
    ]
    at = companies.get(company_id or "")
    where = f" at {one_line(at.name or '') or company_id}" if company_id and at else ""
    where = where or (f" at company_id={company_id}" if company_id else "")
    found_contacts = ContactsFound(
        organization=organization,
        views=views,
        query=needle,
        company_id=company_id,
        where=where,
        detailed=detailed,
        scanned=found.scanned,
        scan_complete=found.complete,
        next_cursor=found.next_cursor,
        available=state.available,
    )
    # show
    return shown(found_contacts, budget=state.settings.max_output_chars)


async def _contacts(
    ctx: Context, org: str, cursor: str | None, limit: int, match: Callable[[Contact], bool] | None
) -> Walk[Contact]:
    """A page of contacts; with `match`, a scan of up to QUERY_SCAN_LIMIT for the ones it accepts,
    reporting how far it got."""
    state = app(ctx)

    async def progress(scanned: int) -> None:
        await ctx.report_progress(scanned, total=QUERY_SCAN_LIMIT, message=f"scanned {scanned} contacts")

    return await walk(
        lambda api_cursor, size: state.api.list_contacts(org, limit=size, cursor=api_cursor),
        cursor,
        limit=limit,
        page_size=SCAN_PAGE if match else limit,
        match=match,
        max_scan=QUERY_SCAN_LIMIT if match else None,
        on_page=progress if match else None,
    )


def _wanted(
    contact: Contact, needle: str | None, company_id: str | None, companies: dict[str, Company]
) -> bool:
    """Whether a contact is one the filters ask for: at the company, and matching the query."""
    if company_id and contact.company_id != company_id:
        return False
    company = companies.get(contact.company_id or "")
    return needle is None or contact_matches(contact, needle, company.name if company else None)


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


@dataclass(frozen=True)
class ContactsFound:
    """What a listing or search found, before any text: the input of `shown`."""

    organization: OrgRef
    views: list[ContactView]
    query: str | None
    company_id: str | None
    where: str  # " at <company>" when filtered by company
    detailed: bool
    scanned: int
    scan_complete: bool
    next_cursor: Callable[[int], str | None]
    available: Callable[[Iterable[str]], list[str]]  # the suggested calls this server serves

    @property
    def filtered(self) -> bool:
        return bool(self.query or self.company_id)


def shown(f: ContactsFound, *, budget: int) -> CallToolResult:
    """The whole result: a header saying what was listed or how far a search scanned, one line per
    contact, the cursor that continues; text and structured output cut alike."""
    views, filtered, needle, company_id = f.views, f.filtered, f.query, f.company_id
    # Browsing shows directory rows (name, company, ID); a search shows its matches in full, since
    # the caller is after that person's details. "detailed" shows every field either way.
    brief = not (filtered or f.detailed)

    def header(kept: int) -> str:
        if not filtered:
            how = " (name, company; query or get_contact for email and phone)" if brief and kept else ""
            return f"Contacts in {f.organization.name} — {kept} shown{how}"
        scan = f"{f.scanned} scanned{'' if f.scan_complete else ', more remain'}"
        # The query is not echoed: the caller just wrote it.
        return (
            f"Contacts in {f.organization.name}{f.where} — {kept} match{'es' if kept != 1 else ''} ({scan})"
        )

    def footer(kept: int) -> list[str]:
        nxt = f.next_cursor(kept)
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
        return f.available([call("get_contact", contact_id=views[0].contact_id)]) if one else []

    line = records.contact_brief_line if brief else records.contact_line
    lines = [line(v) for v in views]
    return fitted_result(
        lambda limit: fit(header, lines, footer, budget, limit=limit),
        lambda kept: ContactsOut(
            organization=f.organization,
            contacts=views[:kept],
            query=needle,
            scanned=f.scanned if filtered else None,
            scan_complete=f.scan_complete if filtered else None,
            next_cursor=f.next_cursor(kept),
            suggested_calls=suggested(kept),
        ),
        total=len(views),
        list_name="contacts",
        budget=budget,
    )


def _args(needle: str | None) -> str:
    return f'query="{needle}", ' if needle else ""
