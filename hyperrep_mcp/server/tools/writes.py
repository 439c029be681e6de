"""Write tools behind the write guard (SPEC section 3).

- Nothing is registered in read_only mode; outside autosend mode `autosend_draft` and the send
  confirmation are not in any schema, and the payload sent upstream always says autosend_draft=false.
- Sending needs a person's yes through elicitation; deleting too. Declined, cancelled or
  impossible to ask: nothing happens.
- Arguments are validated and normalised before any request (validation.py).
- A pending reply draft (maybe a person's) is only replaced with replace_existing=true.
- A create is never duplicated: an identical one within 60 s returns the first, and an unknown
  outcome is reconciled (reconcile.py) before any retry; a send is never retried.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, Elicit, ElicitationResult
from mcp.types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field

from hyperrep_mcp.api.client import current_stats, iso
from hyperrep_mcp.api.errors import (
    APIStatusError,
    HyperRepError,
    NotFoundError,
    OutcomeUnknownError,
    UnreachableError,
)
from hyperrep_mcp.api.models import Contact, DraftReceipt, MessageDraft, ResponseDraft
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call
from hyperrep_mcp.render.text import clip, message_text
from hyperrep_mcp.render.views import MessageDraftView
from hyperrep_mcp.render.writes import (
    ContactCreatedOut,
    MessageDraftWriteOut,
    ResponseDraftWriteOut,
    WriteOut,
    delivered_text,
    one_line,
    recipient,
    render,
    saved_phrase,
)
from hyperrep_mcp.server import confirm, reconcile, validation
from hyperrep_mcp.server.concurrency import gather
from hyperrep_mcp.server.confirm import Confirmation, ConfirmDelete, ConfirmSend, require_elicitation
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import ToolInputError, tool_result
from hyperrep_mcp.server.state import AppState
from hyperrep_mcp.server.tools.common import EPOCH, OrganizationId, app, id_field, org_ref, walk

EmailList = Annotated[
    list[Annotated[str, Field(max_length=320)]] | None, Field(description="Email addresses", max_length=20)
]
BodyText = Annotated[
    str | None,
    Field(description="Plain-text body (preferred): blank lines separate paragraphs", max_length=50_000),
]
BodyHtml = Annotated[
    str | None, Field(description="HTML body instead of body_text (sanitized)", max_length=50_000)
]
AddNotification = Annotated[bool, Field(description="Notify the team that a draft awaits review")]
AutosendDraft = Annotated[
    bool, Field(description="Send right away instead of saving for review; a person must confirm first")
]
PREVIEW_CHARS = 1500
# The longest body a confirmation shows whole. A longer one is saved for review instead of sent:
# a person cannot be asked to approve text they are not shown.
CONFIRM_BODY_CHARS = 4000


def _now() -> datetime:
    return datetime.now(UTC)


def _visible_text(html: str | None) -> str:
    return message_text(html, None, concise=False).body


def _confirmed(answer: ElicitationResult[Any] | None, field: str) -> bool:
    """Consent is only an accepted answer with the box ticked (JSON true); an unclear answer is refused."""
    return confirm.answer_is_yes(answer, field)


def _send_refusal(what: str) -> str:
    return (
        "Nothing was sent or saved: this client cannot ask you to confirm a send. Call again without "
        f"autosend_draft to save {what} for review, or send it from the HyperRep app."
    )


def _send_requested(state: AppState, autosend_draft: bool) -> bool:
    return state.settings.write_policy.may_send and autosend_draft is True


def _too_long_to_confirm(body_html: str | None) -> bool:
    return len(delivered_text(body_html)) > CONFIRM_BODY_CHARS


def _too_long_note(body_html: str | None) -> str:
    return (
        f"Not sent: the body is {len(delivered_text(body_html)):,} characters, too long to show whole in a "
        f"confirmation (at most {CONFIRM_BODY_CHARS:,}), so it was saved for review instead. Read it and send "
        "it from the HyperRep app, or shorten it and call again."
    )


def _confirmation_body(body_html: str | None) -> str:
    return delivered_text(body_html) or "(no body)"


_REPLAYED = (
    "Not sent again: this confirmation was already used for a send of this message (one confirmation "
    "sends at most once; that send may or may not have gone through). Nothing more was sent or saved: "
    "check the conversation in HyperRep, and call the tool again to be asked afresh if it is not there."
)


def _already_sent(found: Any) -> str:
    when = getattr(found, "scheduled_send_at", None) or getattr(found, "timestamp", None)
    at = f" at {iso(when)[:19].replace('T', ' ')}Z" if when else ""
    return (
        f"Not sent again: the same message was already queued or sent{at}, within a confirmation's lifetime "
        "(a replayed or repeated confirmation sends once). Nothing more was sent or saved; check the "
        "conversation in HyperRep."
    )


def _claim_confirmation() -> bool:
    """Single use at this replica: False when this call answers a confirmation already acted on."""
    identity = confirm.confirmation_id()
    return identity is None or confirm.USED.claim(identity)


@contextlib.contextmanager
def _claim_released_if_not_sent(send: bool, *, before_write: bool = False) -> Iterator[None]:
    """A send that certainly never reached HyperRep gives its confirmation back, so a retry is not
    reported as "already used": any failure before the write (`before_write`: a check refused or a
    lookup failed), or a write refused before anything was made (a 4xx, an unreachable host). An
    unknown outcome (timeout, 5xx after sending) keeps the claim: it may have been sent."""
    try:
        yield
    except Exception as exc:
        identity = confirm.confirmation_id()
        not_sent = before_write or (isinstance(exc, HyperRepError) and _certainly_not_sent(exc))
        if send and identity is not None and not_sent:
            confirm.USED.release(identity)
        raise


def _certainly_not_sent(exc: HyperRepError) -> bool:
    if isinstance(exc, OutcomeUnknownError):
        return False
    return isinstance(exc, UnreachableError) or (
        isinstance(exc, APIStatusError) and exc.status is not None and 400 <= exc.status < 500
    )


# --- create_contact --------------------------------------------------------------------------------


# One custom field of a contact: a list of these, not a map, so that strict schemas can state its
# shape. (No docstring: pydantic would publish it in the schema.)
class CustomField(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Field name, e.g. notes", max_length=100)
    value: str = Field(description="Field value, e.g. Prefers SMS", max_length=2000)


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


def contact_payload(
    name: str | None,
    email: str | None,
    phone_number: str | None,
    company_id: str | None,
    company_role: str | None,
    custom_fields: list[CustomField] | None,
) -> dict[str, Any]:
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


@tool("Create contact", writes=True, idempotent=False)
async def create_contact(
    ctx: Context,
    name: Annotated[str | None, Field(description="Display name, e.g. Hal Jordan", max_length=200)] = None,
    email: Annotated[str | None, Field(description="Email address", max_length=320)] = None,
    phone_number: Annotated[
        str | None, Field(description="Phone, e.g. +14155550199 or (415) 555-0199", max_length=40)
    ] = None,
    company_id: Annotated[str | None, id_field("company_id from list_companies", required=False)] = None,
    company_role: Annotated[
        str | None, Field(description="Role at the company, e.g. Facilities Manager", max_length=200)
    ] = None,
    custom_fields: Annotated[
        list[CustomField] | None,
        Field(description='Extra fields, e.g. [{"name": "notes", "value": "Prefers SMS"}]'),
    ] = None,
    allow_duplicate: Annotated[
        bool,
        Field(description="Create it even when a contact with the same email or phone already exists"),
    ] = False,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ContactCreatedOut]:
    """Add a contact (a customer or lead) to the organization: at least one of name, email or phone.

    Use it when someone new should be in HyperRep before you draft to them; look them up with
    list_contacts first. A contact with the same email (any case) or phone (any format) is refused with
    its name and contact_id unless allow_duplicate=true. Emails are validated and phones normalised
    before anything is sent. Example: create_contact(name="Hal Jordan", email="hal@example.com").
    """
    state = app(ctx)
    payload = contact_payload(name, email, phone_number, company_id, company_role, custom_fields)
    org = await state.org_id(organization_id)
    key = ("create_contact", reconcile.fingerprint("contact", org, payload))
    organization = await org_ref(state, org)
    if (earlier := state.recent_writes.get(key)) is not None:
        return _again(
            state,
            earlier,
            "This contact was created a moment ago with the same details; returning it (no duplicate).",
        )
    if not allow_duplicate and (twin := await existing_contact(state, org, payload)) is not None:
        what = "email" if _same_email(twin, payload) else "phone number"
        raise ToolInputError(
            f"A contact with this {what} already exists: {records.contact_name(records.contact_view(twin))} "
            f"(contact_id={twin.contact_id}); nothing was created. Use it (get_contact(contact_id="
            f'"{twin.contact_id}")), or call create_contact again with allow_duplicate=true for a second one.'
        )
    started = _now()
    notes: list[str] = []
    try:
        contact = await state.api.create_contact(org, payload)
        outcome: Literal["saved", "recovered"] = "saved"
    except OutcomeUnknownError as exc:
        found = await reconcile.poll(lambda: reconcile.find_contact(state.api, org, payload, started))
        if found is None:
            contact = await state.api.create_contact(
                org, payload
            )  # looked first: nothing there, so one more try
            notes.append(
                f"The first attempt failed ({exc.cause.message}); it was not saved, so it was tried once more."
            )
        else:
            contact = found
            notes.append(
                "HyperRep did not confirm the create, but the contact exists: returning it (not created twice)."
            )
        outcome = "recovered"
    state.remember_contacts(org, [contact])
    view = records.contact_view(contact)
    out = ContactCreatedOut(
        organization=organization,
        outcome=outcome,
        sent=False,
        summary=f"Contact created in {organization.name}: {records.contact_name(view)}.",
        contact=view,
        notes=notes,
        suggested_calls=state.available(
            [call("create_message_draft", modality="email", to_email=view.email)] if view.email else []
        ),
    )
    state.recent_writes.put(key, out)
    return tool_result(out, render(out, budget=state.settings.max_output_chars))


DUPLICATE_SCAN_LIMIT = 5000


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


def _again(state: AppState, earlier: WriteOut, note: str) -> CallToolResult:
    out = earlier.model_copy(update={"outcome": "already_saved", "notes": [note]})
    return tool_result(out, render(out, budget=state.settings.max_output_chars))


# --- create_message_draft --------------------------------------------------------------------------


def message_draft_payload(args: dict[str, Any]) -> dict[str, Any]:
    """Validated, normalised create body (without the send flags)."""
    modality = args.get("modality")
    if modality not in ("email", "text"):
        raise ToolInputError('modality must be "email" or "text".')
    to_email = args.get("to_email")
    to_phone = args.get("to_phone_number")
    payload: dict[str, Any] = {"modality": modality}
    if modality == "email":
        if not (to_email and to_email.strip()):
            raise ToolInputError("An email draft needs to_email (the recipient's address).")
        payload["to_email"] = validation.email(to_email, "to_email")
        if to_phone and to_phone.strip():
            payload["to_phone_number"] = validation.phone(to_phone, "to_phone_number")
    else:
        if not (to_phone and to_phone.strip()):
            raise ToolInputError("A text draft needs to_phone_number (e.g. +14155550199).")
        payload["to_phone_number"] = validation.phone(to_phone, "to_phone_number")
        if to_email and to_email.strip():
            payload["to_email"] = validation.email(to_email, "to_email")
        if args.get("cc_emails") or args.get("bcc_emails"):
            raise ToolInputError(
                "cc_emails and bcc_emails apply to email drafts only; remove them for a text."
            )
    subject = validation.text(args.get("subject"), "subject", validation.MAX_SUBJECT)
    body = validation.body_html(args.get("body_text"), args.get("body_html"), required=modality == "text")
    if not (subject or body):
        raise ToolInputError("The draft is empty: give a subject or a body (body_text) or both.")
    payload.update(
        subject=subject,
        body_html=body,
        to_user_name=validation.text(args.get("to_user_name"), "to_user_name", validation.MAX_NAME),
        cc_emails=validation.emails(args.get("cc_emails"), "cc_emails") or None,
        bcc_emails=validation.emails(args.get("bcc_emails"), "bcc_emails") or None,
        folder=validation.text(args.get("folder"), "folder", 100),
    )
    return {k: v for k, v in payload.items() if v is not None}


def _addressee(modality: str | None, name: str | None, email: str | None, phone: str | None) -> str:
    """Who a message goes to, by the address its modality uses: a text goes to the phone even when an
    email is known, an email to the address."""
    text = modality == "text"
    return recipient(name, None if text else email, phone if text else None)


def _to_lines(modality: str | None, name: str | None, email: str | None, phone: str | None) -> list[str]:
    """The confirmation's "To:" line, and the address the modality does not use marked as such."""
    text = modality == "text"
    return [
        line
        for line in (
            f"To: {_addressee(modality, name, email, phone)}",
            f"Recipient's email (recorded, not sent to): {one_line(email)}" if text and email else None,
            f"Recipient's phone (recorded, not sent to): {one_line(phone)}" if not text and phone else None,
        )
        if line
    ]


def _message_confirmation(payload: dict[str, Any]) -> str:
    """Every recipient, the subject and the whole body, rendered from the payload that is sent."""
    head = [
        *_to_lines(
            payload["modality"],
            payload.get("to_user_name"),
            payload.get("to_email"),
            payload.get("to_phone_number"),
        ),
        f"Cc: {', '.join(payload['cc_emails'])}" if payload.get("cc_emails") else None,
        f"Bcc: {', '.join(payload['bcc_emails'])}" if payload.get("bcc_emails") else None,
        f"Subject: {payload['subject']}" if payload.get("subject") else None,
    ]
    return "\n".join([*(h for h in head if h), "", _confirmation_body(payload.get("body_html"))])


async def _ask_send_message(ctx: Context, args: dict[str, Any]) -> Any:
    state = app(ctx)
    if not _send_requested(state, args.get("autosend_draft", False)):
        return ConfirmSend(send=False)
    payload = message_draft_payload(args)  # never ask a person to approve something invalid
    if _too_long_to_confirm(payload.get("body_html")):
        return ConfirmSend(send=False)  # not asked: saved for review (the tool says why)
    require_elicitation(ctx, _send_refusal("a draft"))
    kind = "email" if payload["modality"] == "email" else "text message"
    return Elicit(f"Send this {kind} now?\n\n{_message_confirmation(payload)}", ConfirmSend)


@tool(
    "Create message draft",
    writes=True,
    idempotent=False,
    confirmations={"send_confirmation": Confirmation(ConfirmSend, _ask_send_message)},
    sends=("autosend_draft", "send_confirmation"),
)
async def create_message_draft(
    ctx: Context,
    modality: Annotated[
        Literal["email", "text"], Field(description="email (needs to_email) or text (needs to_phone_number)")
    ],
    subject: Annotated[str | None, Field(description="Subject line (email)", max_length=300)] = None,
    body_text: BodyText = None,
    body_html: BodyHtml = None,
    to_user_name: Annotated[str | None, Field(description="Recipient's display name", max_length=200)] = None,
    to_email: Annotated[
        str | None, Field(description="Recipient email (required for email)", max_length=320)
    ] = None,
    to_phone_number: Annotated[
        str | None, Field(description="Recipient phone (required for text)", max_length=40)
    ] = None,
    cc_emails: EmailList = None,
    bcc_emails: EmailList = None,
    folder: Annotated[
        str | None, Field(description="Draft folder, e.g. Sales Follow-up (default: drafts)", max_length=100)
    ] = None,
    add_notification: AddNotification = True,
    autosend_draft: AutosendDraft = False,
    send_confirmation: ElicitationResult[ConfirmSend] | None = None,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, MessageDraftWriteOut]:
    """Write a new outbound email or text (first contact, not a reply) as a draft that a person reviews
    in HyperRep before it is sent.

    For a reply inside an existing conversation use upsert_response_draft instead. Give the body as
    plain text in body_text. Nothing is sent. Example: create_message_draft(modality="email",
    to_email="hal@example.com", to_user_name="Hal Jordan", subject="Your roof quote", body_text="Hi Hal, ...").
    """
    state = app(ctx)
    args = {
        "modality": modality, "subject": subject, "body_text": body_text, "body_html": body_html,
        "to_user_name": to_user_name, "to_email": to_email, "to_phone_number": to_phone_number,
        "cc_emails": cc_emails, "bcc_emails": bcc_emails, "folder": folder,
    }  # fmt: skip
    payload = message_draft_payload(args)
    org = await state.org_id(organization_id)
    send = _send_requested(state, autosend_draft)
    organization = await org_ref(state, org)
    too_long = send and _too_long_to_confirm(payload.get("body_html"))
    if too_long:
        send = False
    elif send and not _confirmed(send_confirmation, "send"):
        return _not_created(organization, "Not sent and not saved: the send was not confirmed.")
    if send and not _claim_confirmation():
        return _not_created(organization, _REPLAYED)
    with _claim_released_if_not_sent(send, before_write=True):
        found = await reconcile.find_sent_message(state.api, org, payload, _now()) if send else None
    if found is not None:
        return _not_created(organization, _already_sent(found))
    # The one place the send flags are set: true only with a person's yes in autosend mode.
    payload["autosend_draft"] = send
    payload["add_notification"] = False if send else add_notification
    key = ("create_message_draft", reconcile.fingerprint("message_draft", org, payload))
    if (earlier := state.recent_writes.get(key)) is not None:
        return _again(
            state, earlier, "An identical draft was saved a moment ago; returning it (no duplicate)."
        )
    started = _now()
    notes: list[str] = []
    outcome = "queued" if send else "saved"
    existing = None if send else await _quiet(reconcile.find_message_draft(state.api, org, payload, started))
    if existing is not None and _age_s(existing) <= 60:
        receipt = DraftReceipt(draft_id=existing.draft_id, folder=existing.folder)
        outcome = "already_saved"
        notes.append("An identical draft was saved less than a minute ago; returning it (no duplicate).")
    else:
        with _claim_released_if_not_sent(send):
            receipt, notes = await _create_message_draft(state, org, payload, started, send=send)
        if notes:
            outcome = "recovered"
    if too_long:
        notes.insert(0, _too_long_note(payload.get("body_html")))
    view = _draft_view(payload, receipt)
    status = saved_phrase(view.status == "queued", view.scheduled_send_at)
    out = MessageDraftWriteOut(
        organization=organization,
        outcome=outcome,  # type: ignore[arg-type]
        sent=view.status == "queued",
        summary=f"{status} Message draft to {_addressee(payload['modality'], payload.get('to_user_name'), payload.get('to_email'), payload.get('to_phone_number'))}.",
        draft=view,
        notes=notes,
        suggested_calls=state.available(
            [call("get_message_draft", draft_id=view.draft_id)]
            + ([call("delete_message_draft", draft_id=view.draft_id)] if view.status == "saved" else [])
        ),
    )
    state.recent_writes.put(key, out)
    return tool_result(out, render(out, budget=state.settings.max_output_chars))


async def _create_message_draft(
    state: AppState, org: str, payload: dict[str, Any], started: datetime, *, send: bool
) -> tuple[DraftReceipt, list[str]]:
    try:
        return await state.api.create_message_draft(org, payload), []
    except OutcomeUnknownError as exc:
        found = await reconcile.poll(lambda: reconcile.find_message_draft(state.api, org, payload, started))
        if found is not None:
            receipt = DraftReceipt(
                draft_id=found.draft_id, folder=found.folder, scheduled_send_at=found.scheduled_send_at
            )
            receipt.scheduled_to_send = found.scheduled_send_at is not None
            return receipt, [
                "HyperRep did not confirm the save, but the draft exists: returning it (not created twice)."
            ]
        if send:
            raise ToolInputError(
                f"HyperRep did not confirm whether the message was queued ({exc.cause.message}) and it is not in the "
                "drafts list. It was NOT retried, to avoid sending twice: check the conversation in HyperRep "
                "before trying again."
            ) from None
        receipt = await state.api.create_message_draft(org, payload)
        return receipt, [
            f"The first attempt failed ({exc.cause.message}); it had not saved anything, so it was tried once more."
        ]


def _draft_view(payload: dict[str, Any], receipt: DraftReceipt) -> MessageDraftView:
    return MessageDraftView(
        draft_id=receipt.id,
        status="queued" if receipt.scheduled_to_send or receipt.scheduled_send_at else "saved",
        modality=payload["modality"],
        subject=payload.get("subject"),
        recipient_name=payload.get("to_user_name"),
        recipient_email=payload.get("to_email"),
        recipient_phone_number=payload.get("to_phone_number"),
        cc_emails=payload.get("cc_emails"),
        bcc_emails=payload.get("bcc_emails"),
        folder=receipt.folder or payload.get("folder") or "drafts",
        body_text=clip(_visible_text(payload.get("body_html")), PREVIEW_CHARS)[0] or None,
        scheduled_send_at=iso(receipt.scheduled_send_at),
    )


def _age_s(draft: MessageDraft) -> float:
    return (_now() - draft.created_at).total_seconds() if draft.created_at else 0.0


async def _quiet(find: Any) -> Any:
    """A duplicate check must not block the write it protects: on failure, carry on without it."""
    try:
        return await find
    except Exception:
        return None


def _not_created(organization: Any, summary: str) -> CallToolResult:
    out = WriteOut(organization=organization, outcome="not_created", sent=False, summary=summary)
    return tool_result(out, summary)


# --- upsert_response_draft -------------------------------------------------------------------------


async def _pending_draft(state: AppState, org: str, conversation_id: str) -> ResponseDraft | None:
    page = await state.api.list_response_drafts(org, conversation_id, limit=10)
    return max(page.data, key=lambda d: d.created_at or EPOCH) if page.data else None


def _reply_payload(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "body_html": validation.body_html(args.get("body_text"), args.get("body_html"), required=True),
        "cc_emails": validation.emails(args.get("cc_emails"), "cc_emails"),
        "bcc_emails": validation.emails(args.get("bcc_emails"), "bcc_emails"),
    }


def _same_reply(draft: ResponseDraft, payload: dict[str, Any]) -> bool:
    return (
        reconcile.norm_text(draft.body_html) == reconcile.norm_text(payload["body_html"])
        and sorted(e.casefold() for e in draft.cc_emails)
        == sorted(e.casefold() for e in payload["cc_emails"])
        and sorted(e.casefold() for e in draft.bcc_emails)
        == sorted(e.casefold() for e in payload["bcc_emails"])
    )


def _clobber_check(existing: ResponseDraft | None, payload: dict[str, Any], replace_existing: bool) -> None:
    if existing is None or _same_reply(existing, payload):
        return
    if existing.status == "queued":
        raise ToolInputError(
            "A reply in this conversation is queued to send right now and cannot be replaced. Read the thread "
            "again in a minute (get_conversation_thread) and draft a follow-up if needed."
        )
    if not replace_existing:
        raise ToolInputError(
            "This conversation already has a reply draft awaiting review (possibly written by a person), so "
            "nothing was changed. To overwrite it, call again with replace_existing=true; the result will show "
            f"the replaced text. The existing draft {_shown_draft(existing)}"
        )


def _shown_draft(draft: ResponseDraft) -> str:
    """A reply draft quoted in an error: its id, then its text indented (clipped to the preview)."""
    body = clip(_visible_text(draft.body_html), PREVIEW_CHARS)[0]
    return f"(response_id={draft.response_id}):\n" + "\n".join("    " + line for line in body.splitlines())


def _changed_underneath(seen: ResponseDraft | None, latest: ResponseDraft | None) -> bool:
    if seen is None or latest is None:
        return (seen is None) != (latest is None)
    return seen.response_id != latest.response_id or reconcile.norm_text(
        seen.body_html
    ) != reconcile.norm_text(latest.body_html)


def _changed_refusal(latest: ResponseDraft | None) -> None:
    if latest is None:
        raise ToolInputError(
            "Changed underneath: the conversation's reply draft was deleted or sent while this call ran, so nothing "
            "was changed. Read the thread again (get_conversation_thread) and call again if a reply is still needed."
        )
    raise ToolInputError(
        "Changed underneath: a reply draft in this conversation was saved or edited (possibly by a person) while "
        "this call ran, so nothing was changed. Read it, then call again with replace_existing=true only if it "
        f"should be overwritten. The draft now {_shown_draft(latest)}"
    )


async def _ask_send_reply(ctx: Context, args: dict[str, Any]) -> Any:
    state = app(ctx)
    if not _send_requested(state, args.get("autosend_draft", False)):
        return ConfirmSend(send=False)
    payload = _reply_payload(args)
    org = await state.org_id(args.get("organization_id"))
    conversation_id = args["conversation_id"]
    existing, conversation = await gather(
        lambda: _pending_draft(state, org, conversation_id),
        lambda: state.api.get_conversation(org, conversation_id),
    )
    _clobber_check(existing, payload, bool(args.get("replace_existing")))
    if _too_long_to_confirm(payload["body_html"]):
        return ConfirmSend(send=False)  # not asked: saved for review (the tool says why)
    require_elicitation(ctx, _send_refusal("the reply"))
    contact = await state.contact(org, conversation.contact_id) if conversation.contact_id else None
    modality = conversation.extra_fields().get("modality")
    to = (
        _to_lines(modality, contact.name, contact.email, contact.phone_number)
        if contact
        else [f"To: the customer in conversation {conversation_id}"]
    )
    head = [
        *to,
        f"Cc: {', '.join(payload['cc_emails'])}" if payload["cc_emails"] else None,
        f"Bcc: {', '.join(payload['bcc_emails'])}" if payload["bcc_emails"] else None,
    ]
    lines = [*(h for h in head if h), "", _confirmation_body(payload["body_html"])]
    return Elicit("Send this reply now?\n\n" + "\n".join(lines), ConfirmSend)


@tool(
    "Write reply draft",
    writes=True,
    idempotent=True,
    confirmations={"send_confirmation": Confirmation(ConfirmSend, _ask_send_reply)},
    sends=("autosend_draft", "send_confirmation"),
)
async def upsert_response_draft(
    ctx: Context,
    conversation_id: Annotated[str, id_field("conversation_id to reply in")],
    body_text: BodyText = None,
    body_html: BodyHtml = None,
    cc_emails: EmailList = None,
    bcc_emails: EmailList = None,
    add_notification: AddNotification = True,
    replace_existing: Annotated[
        bool,
        Field(description="Overwrite the conversation's pending reply draft (it may be a person's work)"),
    ] = False,
    autosend_draft: AutosendDraft = False,
    send_confirmation: ElicitationResult[ConfirmSend] | None = None,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ResponseDraftWriteOut]:
    """Write the reply to a conversation as a draft that a person reviews in HyperRep before sending.

    Read the thread first (get_conversation_thread). A conversation holds one pending reply draft: if one
    exists this tool refuses and shows it, unless replace_existing=true (then it returns the replaced
    text). Nothing is sent. Example: upsert_response_draft(conversation_id="HR_id_...",
    body_text="Hi Diana, Tuesday at 2pm works. See you then!").
    """
    state = app(ctx)
    payload = _reply_payload(
        {"body_text": body_text, "body_html": body_html, "cc_emails": cc_emails, "bcc_emails": bcc_emails}
    )
    org = await state.org_id(organization_id)
    send = _send_requested(state, autosend_draft)
    existing, organization = await gather(
        lambda: _pending_draft(state, org, conversation_id), lambda: org_ref(state, org)
    )
    too_long = send and _too_long_to_confirm(payload["body_html"])
    if too_long:
        send = False
    elif send and not _confirmed(send_confirmation, "send"):
        return _not_created(organization, "Not sent and not saved: the send was not confirmed.")
    if send and not _claim_confirmation():
        return _not_created(organization, _REPLAYED)
    with _claim_released_if_not_sent(send, before_write=True):
        if (
            send
            and (
                found := await reconcile.find_sent_reply(
                    state.api, org, conversation_id, payload["body_html"], _now(), existing
                )
            )
            is not None
        ):
            return _not_created(organization, _already_sent(found))
        if existing is not None and not send and _same_reply(existing, payload):
            view = records.response_draft_view(existing)
            out = ResponseDraftWriteOut(
                organization=organization,
                outcome="already_saved",
                sent=False,
                summary="This reply is already saved for review (not sent); nothing changed.",
                draft=view,
                notes=[_too_long_note(payload["body_html"])] if too_long else [],
            )
            return tool_result(out, render(out, budget=state.settings.max_output_chars))
        _clobber_check(existing, payload, replace_existing)
        # No-clobber is check-then-write; the person's answer (or the lookups) may have taken a while, so
        # look again right before the write: a draft saved or changed meanwhile is not overwritten.
        latest = await _pending_draft(state, org, conversation_id)
        if _changed_underneath(existing, latest):
            _changed_refusal(latest)
    body = {
        **payload,
        "autosend_draft": send,  # true only with a person's yes in autosend mode
        "add_notification": False if send else add_notification,
    }
    with _claim_released_if_not_sent(send):
        receipt = await state.api.upsert_response_draft(org, conversation_id, body)  # idempotent: retried
    saved = await _quiet(state.api.get_response_draft(org, conversation_id, receipt.id))
    notes: list[str] = [_too_long_note(payload["body_html"])] if too_long else []
    if saved is not None and not _same_reply(saved, payload):
        # Compare after: someone saved over this draft right after the write; say so, and show what it
        # holds now rather than claiming our text was saved.
        notes.append(
            "Changed underneath: right after this write the conversation's reply draft already holds different "
            "text (someone saved over it); the draft shown is what it holds now. Tell the person before drafting again."
        )
    view = records.response_draft_view(saved) if saved else records.response_draft_view(
        ResponseDraft(response_id=receipt.id, conversation_id=conversation_id, body_html=payload["body_html"],
                      cc_emails=payload["cc_emails"], bcc_emails=payload["bcc_emails"],
                      scheduled_send_at=receipt.scheduled_send_at)
    )  # fmt: skip
    queued = receipt.scheduled_to_send or receipt.scheduled_send_at is not None
    previous = (
        _visible_text(existing.body_html)
        if existing is not None and not _same_reply(existing, payload)
        else None
    )
    to = recipient(view.recipient_name, view.recipient_email, view.recipient_phone_number)
    out = ResponseDraftWriteOut(
        organization=organization,
        outcome="queued" if queued else "saved",
        sent=queued,
        summary=f"{saved_phrase(queued, iso(receipt.scheduled_send_at))} Reply to {to}"
        + (" (replaced the earlier draft)." if previous else "."),
        draft=view,
        previous_body_text=previous,
        notes=notes,
        suggested_calls=state.available(
            [call("get_conversation_thread", conversation_id=conversation_id)]
            + (
                [call("delete_response_draft", conversation_id=conversation_id, response_id=receipt.id)]
                if not queued
                else []
            )
        ),
    )
    return tool_result(out, render(out, budget=state.settings.max_output_chars))


# --- deletes ---------------------------------------------------------------------------------------

_DELETE_REFUSAL = (
    "Nothing was deleted: this client cannot ask you to confirm a deletion. Delete the draft in the "
    "HyperRep app instead."
)


async def _ask_delete_message_draft(ctx: Context, args: dict[str, Any]) -> Any:
    state = app(ctx)
    org = await state.org_id(args.get("organization_id"))
    draft = await state.api.get_message_draft(org, args["draft_id"])
    require_elicitation(ctx, _DELETE_REFUSAL)
    view = records.message_draft_view(draft)
    to = recipient(view.recipient_name, view.recipient_email, view.recipient_phone_number)
    subject = f"\nSubject: {one_line(view.subject)}" if view.subject else ""
    return Elicit(
        f"Delete this message draft permanently?\n\nTo: {to}{subject}\n\n{view.body_text or ''}",
        ConfirmDelete,
    )


async def _ask_delete_response_draft(ctx: Context, args: dict[str, Any]) -> Any:
    state = app(ctx)
    org = await state.org_id(args.get("organization_id"))
    draft = await state.api.get_response_draft(org, args["conversation_id"], args["response_id"])
    require_elicitation(ctx, _DELETE_REFUSAL)
    view = records.response_draft_view(draft)
    to = recipient(view.recipient_name, view.recipient_email, view.recipient_phone_number)
    return Elicit(
        f"Delete this reply draft permanently?\n\nTo: {to}\n\n{view.body_text or ''}", ConfirmDelete
    )


async def _delete(do_delete: Any) -> None:
    """DELETE is retried on transient failures; a retry that finds it gone means the first one worked."""
    try:
        await do_delete()
    except NotFoundError:
        stats = current_stats()
        if stats is None or stats.retries == 0:
            raise


@tool(
    "Delete message draft",
    writes=True,
    destructive=True,
    idempotent=True,
    confirmations={"delete_confirmation": Confirmation(ConfirmDelete, _ask_delete_message_draft)},
)
async def delete_message_draft(
    ctx: Context,
    draft_id: Annotated[str, id_field("draft_id from list_message_drafts")],
    delete_confirmation: ElicitationResult[ConfirmDelete] | None = None,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, MessageDraftWriteOut]:
    """Delete a message draft that has not been sent. A person confirms first; the result returns the
    deleted draft's full content, so nothing is lost.

    Use it to discard outreach that should not go out. A draft already sent cannot be deleted (it is a
    conversation now). Example: delete_message_draft(draft_id="HR_id_...").
    """
    state = app(ctx)
    org = await state.org_id(organization_id)
    draft, organization = await gather(
        lambda: state.api.get_message_draft(org, draft_id), lambda: org_ref(state, org)
    )
    view = records.message_draft_view(draft, detailed=True)
    if not _confirmed(delete_confirmation, "delete"):
        out = MessageDraftWriteOut(
            organization=organization,
            outcome="kept",
            sent=False,
            summary="Not deleted: the deletion was not confirmed.",
            draft=view,
        )
        return tool_result(out, render(out, budget=state.settings.max_output_chars))
    await _delete(lambda: state.api.delete_message_draft(org, draft_id))
    out = MessageDraftWriteOut(
        organization=organization,
        outcome="deleted",
        sent=False,
        summary="Deleted this message draft (its full content is below, in case it is needed again).",
        draft=view,
    )
    return tool_result(out, render(out, budget=state.settings.max_output_chars))


@tool(
    "Delete reply draft",
    writes=True,
    destructive=True,
    idempotent=True,
    confirmations={"delete_confirmation": Confirmation(ConfirmDelete, _ask_delete_response_draft)},
)
async def delete_response_draft(
    ctx: Context,
    conversation_id: Annotated[str, id_field("conversation_id of the draft")],
    response_id: Annotated[str, id_field("response_id from list_response_drafts")],
    delete_confirmation: ElicitationResult[ConfirmDelete] | None = None,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ResponseDraftWriteOut]:
    """Delete a conversation's reply draft that has not been sent. A person confirms first; the result
    returns the deleted draft's full content.

    Use it to discard a reply that should not go out; to change it instead, use
    upsert_response_draft(replace_existing=true). Example: delete_response_draft(conversation_id="HR_id_...",
    response_id="HR_id_...").
    """
    state = app(ctx)
    org = await state.org_id(organization_id)
    draft, organization = await gather(
        lambda: state.api.get_response_draft(org, conversation_id, response_id), lambda: org_ref(state, org)
    )
    view = records.response_draft_view(draft, detailed=True)
    if not _confirmed(delete_confirmation, "delete"):
        out = ResponseDraftWriteOut(
            organization=organization,
            outcome="kept",
            sent=False,
            summary="Not deleted: the deletion was not confirmed.",
            draft=view,
        )
        return tool_result(out, render(out, budget=state.settings.max_output_chars))
    await _delete(lambda: state.api.delete_response_draft(org, conversation_id, response_id))
    out = ResponseDraftWriteOut(
        organization=organization,
        outcome="deleted",
        sent=False,
        summary="Deleted this reply draft (its full content is below, in case it is needed again).",
        draft=view,
    )
    return tool_result(out, render(out, budget=state.settings.max_output_chars))
