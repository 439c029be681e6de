"""create_contact: add a contact, never twice (SPEC section 3).

An identical create within a minute returns the first; a contact with the same email or phone is
refused unless allow_duplicate; a lost answer is looked for before one more try (ledger.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field

from hyperrep_mcp.api.models import Contact
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call
from hyperrep_mcp.render.views import OrgRef
from hyperrep_mcp.render.writes import ContactCreatedOut
from hyperrep_mcp.server import reconcile, validation
from hyperrep_mcp.server.ledger import Created, Intent
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import ToolInputError
from hyperrep_mcp.server.state import AppState
from hyperrep_mcp.server.tools.common import OrganizationId, app, id_field, now, org_ref, walk
from hyperrep_mcp.server.tools.write_common import again, shown

# Someone new: the description's Hal Jordan is already a contact on the demo sandbox (so refused there).
EXAMPLE: dict[str, Any] = {
    "name": "Kyle Rayner",
    "email": "kyle.rayner@example.com",
    "phone_number": "(415) 555-0142",
    "company_role": "Facilities Manager",
}

# How many contacts the same-email-or-phone check reads at most (the API has no contact search).
DUPLICATE_SCAN_LIMIT = 5000


# One custom field of a contact: a list of these, not a map, so that strict schemas can state its
# shape. (No docstring: pydantic would publish it in the schema.)
class CustomField(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Field name, e.g. notes", max_length=100)
    value: str = Field(description="Field value, e.g. Prefers SMS", max_length=2000)


@tool("Create contact", writes=True, idempotent=False)
async def create_contact(
    ctx: Context,
    name: Annotated[str | None, Field(max_length=200)] = None,
    email: Annotated[str | None, Field(max_length=320)] = None,
    phone_number: Annotated[str | None, Field(description="Any format", max_length=40)] = None,
    company_id: Annotated[str | None, id_field("From list_companies", required=False)] = None,
    company_role: Annotated[str | None, Field(description="e.g. Facilities Manager", max_length=200)] = None,
    custom_fields: list[CustomField] | None = None,
    allow_duplicate: bool = False,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ContactCreatedOut]:
    """Add a contact (customer or lead) with a name, email or phone.

    Check list_contacts first: a same email (any case) or phone (any format) is refused with the existing contact_id unless allow_duplicate=true. Example: create_contact(name="Hal Jordan", email="hal@example.com")
    """
    # take
    state = app(ctx)
    payload = contact_payload(name, email, phone_number, company_id, company_role, custom_fields)
    org = await state.org_id(organization_id)
    intent = Intent(
        "create_contact",
        org,
        payload,
        made=lambda since: reconcile.find_contact(state.api, org, payload, since),
    )
    # fetch: was it already done, is the person already there, then write
    organization = await org_ref(state, org)
    if (done := await state.ledger.already_done(intent, now())) is not None:
        return again(
            done.record,
            "This contact was created a moment ago with the same details; returning it (no duplicate).",
            budget=state.settings.max_output_chars,
        )
    if not allow_duplicate and (twin := await existing_contact(state, org, payload)) is not None:
        raise ToolInputError(duplicate_refusal(state, twin, payload))
    created = await state.ledger.create(intent, lambda: state.api.create_contact(org, payload), started=now())
    state.remember_contacts(org, [created.record])
    # show
    out = created_out(state, organization, created)
    state.ledger.remember(intent, out)
    return shown(out, budget=state.settings.max_output_chars, zone=state.settings.zone)


def contact_payload(
    name: str | None,
    email: str | None,
    phone_number: str | None,
    company_id: str | None,
    company_role: str | None,
    custom_fields: list[CustomField] | None,
) -> dict[str, Any]:
    """The validated, normalised create body."""
    payload = {
        "name": validation.text(name, "name", validation.MAX_NAME),
        "email": validation.email(email, "email") if email and email.strip() else None,
        "phone_number": validation.phone(phone_number, "phone_number")
        if phone_number and phone_number.strip()
        else None,
        "company_id": validation.text(company_id, "company_id", 500),
        "company_role": validation.text(company_role, "company_role", validation.MAX_NAME),
        "custom_fields": custom_field_map(custom_fields),
    }
    if not (payload["name"] or payload["email"] or payload["phone_number"]):
        raise ToolInputError("Give at least one of name, email or phone_number for the new contact.")
    return {k: v for k, v in payload.items() if v is not None}


def custom_field_map(fields: list[CustomField] | None) -> dict[str, Any] | None:
    """The API's map of custom fields; two entries with one name would silently lose one: refused."""
    if not fields:
        return None
    out: dict[str, Any] = {}
    for index, item in enumerate(fields):
        name = item.name.strip()
        if not name:
            raise ToolInputError(
                f'custom_fields[{index}].name is empty: name every field, e.g. {{"name": "notes", "value": "Prefers SMS"}}.'
            )
        if name in out:
            raise ToolInputError(
                f"custom_fields names {name!r} twice: give each field once (join the values if both matter)."
            )
        out[name] = item.value
    return validation.custom_fields(out)


async def existing_contact(state: AppState, org: str, payload: dict[str, Any]) -> Contact | None:
    """A contact already there with the new one's email (any case) or normalised phone. The API has no
    contact search, so this scans the list (bounded; 100 per page)."""
    if not (payload.get("email") or payload.get("phone_number")):
        return None

    async def fetch(api_cursor: str | None, size: int):
        return await state.api.list_contacts(org, limit=size, cursor=api_cursor)

    found = await walk(
        fetch,
        None,
        limit=1,
        page_size=100,
        match=lambda c: _same_email(c, payload) or _same_phone(c, payload),
        max_scan=DUPLICATE_SCAN_LIMIT,
    )
    return found.items[0] if found.items else None


def _same_email(contact: Contact, payload: dict[str, Any]) -> bool:
    return (
        bool(payload.get("email")) and (contact.email or "").strip().casefold() == payload["email"].casefold()
    )


def _same_phone(contact: Contact, payload: dict[str, Any]) -> bool:
    if not (payload.get("phone_number") and contact.phone_number):
        return False
    try:  # stored numbers come in every format: compare them normalised like the new one
        return validation.phone(contact.phone_number, "phone_number") == payload["phone_number"]
    except ToolInputError:
        return False


def duplicate_refusal(state: AppState, twin: Contact, payload: dict[str, Any]) -> str:
    what = "email" if _same_email(twin, payload) else "phone number"
    # Name get_contact only when it is served here (HYPERREP_EXCLUDE_TOOLS may drop it).
    read = state.available([call("get_contact", contact_id=twin.contact_id)])
    return (
        f"A contact with this {what} already exists: {records.contact_name(records.contact_view(twin))} "
        f"(contact_id={twin.contact_id}); nothing was created. Use it{f' ({read[0]})' if read else ''}, "
        "or call create_contact again with allow_duplicate=true for a second one."
    )


def created_out(state: AppState, organization: OrgRef, created: Created) -> ContactCreatedOut:
    """The whole result of a create: the contact, and what happened if the first answer was lost."""
    view = records.contact_view(created.record)
    notes: list[str] = []
    if created.lost is not None:
        notes.append(
            "HyperRep did not confirm the create, but the contact exists: returning it (not created twice)."
            if created.found
            else f"The first attempt failed ({created.lost}); it was not saved, so it was tried once more."
        )
    return ContactCreatedOut(
        organization=organization,
        outcome="saved" if created.lost is None else "recovered",
        sent=False,
        summary=f"Contact created in {organization.name}: {records.contact_name(view)}.",
        contact=view,
        notes=notes,
        suggested_calls=state.available(
            [call("create_message_draft", modality="email", to_email=view.email)] if view.email else []
        ),
    )
