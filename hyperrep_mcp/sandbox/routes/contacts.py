"""Contacts: list, create, detail, and one contact's conversations (page 02)."""

from __future__ import annotations

from typing import Any

from hyperrep_mcp.sandbox.dataset import OrgData
from hyperrep_mcp.sandbox.errors import ApiError, Messages
from hyperrep_mcp.sandbox.records import Contact, Conversation
from hyperrep_mcp.sandbox.routes.common import DEFAULT_LIMIT, Call, endpoint, in_range
from hyperrep_mcp.sandbox.validation import normalize_email, normalize_phone

CONTACT_CONVERSATIONS_LIMIT = 50  # the docs' example shows 50 for this list


def find_contact(call: Call, org: OrgData) -> Contact:
    contact = org.contacts.get(call.path("contact_id"))
    if contact is None:
        raise ApiError(404, Messages.INVALID_CONTACT)
    return contact


@endpoint
async def list_contacts(call: Call) -> dict[str, Any]:
    limit = call.query.limit(DEFAULT_LIMIT)
    call.query.check()
    org = call.org()
    # Insertion order is created_at order: generated contacts are sorted, new ones come last.
    return call.page(
        list(org.contacts.values()),
        collection=f"contacts:{org.organization_id}",
        to_json=Contact.to_json,
        limit=limit,
    )


@endpoint
async def get_contact(call: Call) -> dict[str, Any]:
    return find_contact(call, call.org()).to_json()


@endpoint
async def contact_conversations(call: Call) -> dict[str, Any]:
    limit = call.query.limit(CONTACT_CONVERSATIONS_LIMIT)
    start, end = call.date_range()
    org = call.org()
    contact = find_contact(call, org)
    convs = [
        c
        for c in org.conversations_by_activity()
        if c.contact_id == contact.contact_id and in_range(c.last_activity_at, start, end)
    ]
    return call.page(
        convs,
        collection=f"contact-conversations:{org.organization_id}:{contact.contact_id}",
        to_json=Conversation.summary,
        limit=limit,
    )


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


@endpoint
async def create_contact(call: Call) -> dict[str, Any]:
    body = await call.body()
    name = _clean(body.string("name"))
    email = _clean(body.string("email"))
    phone = _clean(body.string("phone_number"))
    company_id = _clean(body.string("company_id"))
    role = _clean(body.string("company_role"))
    custom_fields = body.string_map("custom_fields")
    body.check()
    org = call.org()
    if not (name or email or phone):
        raise ApiError(400, Messages.CONTACT_NEEDS_IDENTITY)
    if company_id is not None and company_id not in org.companies:
        raise ApiError(400, Messages.INVALID_COMPANY)
    contact = Contact(
        contact_id=call.sandbox.new_id("contact"),
        name=name,
        email=normalize_email(email) if email else None,
        phone_number=normalize_phone(phone) if phone else None,
        created_at=call.sandbox.now(),
        company_id=company_id,
        custom_fields=tuple(custom_fields.items()),
        company_role=role,
    )
    org.contacts[contact.contact_id] = contact
    return contact.to_json()
