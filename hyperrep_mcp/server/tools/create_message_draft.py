"""create_message_draft: a new outbound email or text, saved for review or, in autosend mode with
a person's yes, queued to send (SPEC section 3).

Never twice: a send already queued or sent, an identical draft of the last minute, or a lost
answer are all asked of the ledger (ledger.py) before writing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, Elicit, ElicitationResult
from mcp.types import CallToolResult
from pydantic import Field

from hyperrep_mcp.api.client import iso
from hyperrep_mcp.api.models import DraftReceipt, MessageDraft
from hyperrep_mcp.render.layout import call
from hyperrep_mcp.render.text import clip
from hyperrep_mcp.render.views import MessageDraftView, OrgRef
from hyperrep_mcp.render.writes import MessageDraftWriteOut, saved_phrase
from hyperrep_mcp.server import reconcile, validation
from hyperrep_mcp.server.confirm import Confirmation, ConfirmSend, require_elicitation
from hyperrep_mcp.server.ledger import Intent
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import ToolInputError
from hyperrep_mcp.server.state import AppState
from hyperrep_mcp.server.tools.common import OrganizationId, app, now, org_ref
from hyperrep_mcp.server.tools.write_common import (
    PREVIEW_CHARS,
    AddNotification,
    AutosendDraft,
    BodyHtml,
    BodyText,
    EmailList,
    addressee,
    again,
    already_sent,
    claim_released_if_not_sent,
    confirmation_text,
    decide_send,
    not_created,
    send_refusal,
    send_requested,
    shown,
    to_lines,
    too_long_note,
    too_long_to_confirm,
    visible_text,
)

EXAMPLE: dict[str, Any] = {
    "modality": "email",
    "to_email": "hal@example.com",
    "to_user_name": "Hal Jordan",
    "subject": "Your roof quote",
    "body_text": "Hi Hal, the quote for your roof is attached. Any questions, just reply.",
}


async def _ask_send_message(ctx: Context, args: dict[str, Any]) -> Any:
    """The send confirmation: every recipient, the subject and the whole body, from the payload sent."""
    state = app(ctx)
    if not send_requested(state, args.get("autosend_draft", False)):
        return ConfirmSend(send=False)
    payload = message_draft_payload(args)  # never ask a person to approve something invalid
    if too_long_to_confirm(payload.get("body_html")):
        return ConfirmSend(send=False)  # not asked: saved for review (the tool says why)
    require_elicitation(ctx, send_refusal("a draft"))
    kind = "email" if payload["modality"] == "email" else "text message"
    to = to_lines(
        payload["modality"],
        payload.get("to_user_name"),
        payload.get("to_email"),
        payload.get("to_phone_number"),
    )
    return Elicit(f"Send this {kind} now?\n\n{confirmation_text(to, payload)}", ConfirmSend)


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
        Literal["email", "text"], Field(description="email needs to_email; text needs to_phone_number")
    ],
    subject: Annotated[str | None, Field(max_length=300)] = None,
    body_text: BodyText = None,
    body_html: BodyHtml = None,
    to_user_name: Annotated[str | None, Field(description="Recipient's name", max_length=200)] = None,
    to_email: Annotated[str | None, Field(max_length=320)] = None,
    to_phone_number: Annotated[str | None, Field(max_length=40)] = None,
    cc_emails: EmailList = None,
    bcc_emails: EmailList = None,
    folder: Annotated[
        str | None, Field(description="e.g. Sales Follow-up (default: drafts)", max_length=100)
    ] = None,
    add_notification: AddNotification = True,
    autosend_draft: AutosendDraft = False,
    send_confirmation: ElicitationResult[ConfirmSend] | None = None,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, MessageDraftWriteOut]:
    """Write a new outbound email or text (first contact, not a reply) as a draft a person reviews in HyperRep before it is sent; nothing is sent.

    A reply in a conversation: upsert_response_draft. Example: create_message_draft(modality="email", to_email="hal@example.com", subject="Your roof quote", body_text="Hi Hal, ...")
    """
    # take
    state = app(ctx)
    args = {
        "modality": modality, "subject": subject, "body_text": body_text, "body_html": body_html,
        "to_user_name": to_user_name, "to_email": to_email, "to_phone_number": to_phone_number,
        "cc_emails": cc_emails, "bcc_emails": bcc_emails, "folder": folder,
    }  # fmt: skip
    payload = message_draft_payload(args)
    org = await state.org_id(organization_id)
    organization = await org_ref(state, org)
    decision = decide_send(state, autosend_draft, send_confirmation, payload.get("body_html"))
    if decision.refusal is not None:
        return not_created(organization, decision.refusal)
    send = decision.send
    # The one place the send flags are set: true only with a person's yes in autosend mode.
    payload["autosend_draft"] = send
    payload["add_notification"] = False if send else add_notification
    intent = Intent(
        "create_message_draft",
        org,
        payload,
        made=lambda since: reconcile.find_message_draft(state.api, org, payload, since),
        sent=(lambda: reconcile.find_sent_message(state.api, org, payload, now())) if send else None,
        look_upstream_first=True,
    )
    # fetch: was it already done, else write it
    started = now()
    with claim_released_if_not_sent(send, before_write=True):
        done = await state.ledger.already_done(intent, started)
    notes: list[str] = [too_long_note(payload.get("body_html"))] if decision.too_long else []
    if done is not None and done.how == "sent":
        return not_created(organization, already_sent(done.record))
    if done is not None and done.how == "remembered":
        return again(
            done.record,
            "An identical draft was saved a moment ago; returning it (no duplicate).",
            budget=state.settings.max_output_chars,
        )
    if done is not None:
        receipt = _receipt_of(done.record)
        outcome = "already_saved"
        notes.append("An identical draft was saved less than a minute ago; returning it (no duplicate).")
    else:
        with claim_released_if_not_sent(send):
            created = await state.ledger.create(
                intent, lambda: state.api.create_message_draft(org, payload), started=started
            )
        receipt = created.record if not created.found else _receipt_of(created.record)
        outcome = ("queued" if send else "saved") if created.lost is None else "recovered"
        if created.lost is not None:
            notes.append(
                "HyperRep did not confirm the save, but the draft exists: returning it (not created twice)."
                if created.found
                else f"The first attempt failed ({created.lost}); it had not saved anything, so it was tried once more."
            )
    # show
    out = written_out(state, organization, payload, receipt, outcome, notes)
    state.ledger.remember(intent, out)
    return shown(out, budget=state.settings.max_output_chars, zone=state.settings.zone)


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


def _receipt_of(found: MessageDraft) -> DraftReceipt:
    """The receipt of a draft found made after its create's answer was lost."""
    receipt = DraftReceipt(
        draft_id=found.draft_id, folder=found.folder, scheduled_send_at=found.scheduled_send_at
    )
    receipt.scheduled_to_send = found.scheduled_send_at is not None
    return receipt


def written_out(
    state: AppState,
    organization: OrgRef,
    payload: dict[str, Any],
    receipt: DraftReceipt,
    outcome: Any,
    notes: list[str],
) -> MessageDraftWriteOut:
    """The whole result: the draft as written (from the payload sent and HyperRep's receipt)."""
    view = MessageDraftView(
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
        body_text=clip(visible_text(payload.get("body_html")), PREVIEW_CHARS)[0] or None,
        scheduled_send_at=iso(receipt.scheduled_send_at),
    )
    to = addressee(
        payload["modality"],
        payload.get("to_user_name"),
        payload.get("to_email"),
        payload.get("to_phone_number"),
    )
    return MessageDraftWriteOut(
        organization=organization,
        outcome=outcome,
        sent=view.status == "queued",
        summary=f"{saved_phrase(view.status == 'queued', view.scheduled_send_at, state.settings.zone)} Message draft to {to}.",
        draft=view,
        notes=notes,
        suggested_calls=state.available(
            [call("get_message_draft", draft_id=view.draft_id)]
            + ([call("delete_message_draft", draft_id=view.draft_id)] if view.status == "saved" else [])
        ),
    )
