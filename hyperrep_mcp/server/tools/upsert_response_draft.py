"""upsert_response_draft: the reply to a conversation, saved for review or, in autosend mode with
a person's yes, queued to send (SPEC section 3).

A conversation holds one pending reply draft, maybe a person's: it is only replaced with
replace_existing=true, and a draft saved or changed while this call ran is never overwritten.
A reply already queued or sent is asked of the ledger (ledger.py) before a send.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, Elicit, ElicitationResult
from mcp.types import CallToolResult
from pydantic import Field

from hyperrep_mcp.api import EndpointMissingError
from hyperrep_mcp.api.client import iso
from hyperrep_mcp.api.models import Conversation, DraftReceipt, Message, Page, ResponseDraft
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call
from hyperrep_mcp.render.text import clip
from hyperrep_mcp.render.views import OrgRef
from hyperrep_mcp.render.writes import ResponseDraftWriteOut, recipient, saved_phrase
from hyperrep_mcp.server import reconcile, validation
from hyperrep_mcp.server.concurrency import gather
from hyperrep_mcp.server.confirm import Confirmation, ConfirmSend, require_elicitation
from hyperrep_mcp.server.ledger import Intent, quiet
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import ToolInputError
from hyperrep_mcp.server.state import AppState
from hyperrep_mcp.server.tools.common import EPOCH, OrganizationId, app, id_field, now, org_ref
from hyperrep_mcp.server.tools.write_common import (
    PREVIEW_CHARS,
    AddNotification,
    AutosendDraft,
    BodyHtml,
    BodyText,
    EmailList,
    addressee,
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

# Diana Prince's email conversation on the demo sandbox (no reply draft pending there) and a short reply.
EXAMPLE: dict[str, Any] = {
    "conversation_id": "HR_id_0I-aEn9cxYZE5Y3YjLyWFg",
    "body_text": "Hi Diana, Tuesday at 2pm works. See you then!",
}


async def _ask_send_reply(ctx: Context, args: dict[str, Any]) -> Any:
    """The send confirmation: the recipient, cc/bcc and the whole body, from the payload sent."""
    state = app(ctx)
    if not send_requested(state, args.get("autosend_draft", False)):
        return ConfirmSend(send=False)
    payload = reply_payload(args)
    org = await state.org_id(args.get("organization_id"))
    conversation_id = args["conversation_id"]
    existing, conversation = await gather(
        lambda: pending_draft(state, org, conversation_id),
        lambda: conversation_detail(state, org, conversation_id),
    )
    clobber_check(existing, payload, bool(args.get("replace_existing")))
    if too_long_to_confirm(payload["body_html"]):
        return ConfirmSend(send=False)  # not asked: saved for review (the tool says why)
    require_elicitation(ctx, send_refusal("the reply"))
    contact = (
        await state.contact(org, conversation.contact_id)
        if conversation and conversation.contact_id
        else None
    )
    # The detail's own channel costs no request; without it (or the detail), one message says it.
    modality = await channel_of(state, org, conversation_id, conversation)
    by = {"text": " (by text message)", "email": " (by email)"}.get(modality or "", "")
    to = (
        to_lines(modality, contact.name, contact.email, contact.phone_number)
        if contact
        else [f"To: the customer in conversation {conversation_id}{by}"]
    )
    return Elicit(f"Send this reply now?\n\n{confirmation_text(to, payload)}", ConfirmSend)


@tool(
    "Write reply draft",
    writes=True,
    idempotent=True,
    confirmations={"send_confirmation": Confirmation(ConfirmSend, _ask_send_reply)},
    sends=("autosend_draft", "send_confirmation"),
)
async def upsert_response_draft(
    ctx: Context,
    conversation_id: Annotated[str, id_field()],
    body_text: BodyText = None,
    body_html: BodyHtml = None,
    cc_emails: EmailList = None,
    bcc_emails: EmailList = None,
    add_notification: AddNotification = True,
    replace_existing: Annotated[
        bool,
        Field(description="Overwrite the pending reply draft (maybe a person's work)"),
    ] = False,
    autosend_draft: AutosendDraft = False,
    send_confirmation: ElicitationResult[ConfirmSend] | None = None,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ResponseDraftWriteOut]:
    """Write the reply in a conversation as a draft a person reviews in HyperRep before it is sent; nothing is sent.

    Read get_conversation_thread first. If a reply draft is pending it refuses and shows it, unless replace_existing=true (returns the replaced text). New outreach: create_message_draft. Example: upsert_response_draft(conversation_id="HR_id_v8Lm3", body_text="Hi Diana, Tuesday at 2pm works.")
    """
    # take
    state = app(ctx)
    payload = reply_payload(
        {"body_text": body_text, "body_html": body_html, "cc_emails": cc_emails, "bcc_emails": bcc_emails}
    )
    org = await state.org_id(organization_id)
    # fetch: the pending draft and the conversation's channel (where the reply goes), then
    # whether this reply was already sent, then write
    existing, organization, modality = await gather(
        lambda: pending_draft(state, org, conversation_id),
        lambda: org_ref(state, org),
        lambda: reply_channel(state, org, conversation_id),
    )
    decision = decide_send(state, autosend_draft, send_confirmation, payload["body_html"])
    if decision.refusal is not None:
        return not_created(organization, decision.refusal)
    send = decision.send
    intent = Intent(
        "upsert_response_draft",
        org,
        {"conversation_id": conversation_id, **payload},
        sent=(
            lambda: reconcile.find_sent_reply(
                state.api, org, conversation_id, payload["body_html"], now(), existing
            )
        )
        if send
        else None,
        made=(lambda _since: sent_after_loss(state, org, conversation_id, payload["body_html"]))
        if send
        else None,
    )
    notes: list[str] = [too_long_note(payload["body_html"])] if decision.too_long else []
    with claim_released_if_not_sent(send, before_write=True):
        done = await state.ledger.already_done(intent, now())
        # Only a send found queued or sent is "already sent"; an upsert is idempotent, so anything else
        # the ledger might know is no reason to skip the write.
        if done is not None and done.how == "sent":
            return not_created(organization, already_sent(done.record))
        if existing is not None and not send and same_reply(existing, payload):
            out = ResponseDraftWriteOut(
                organization=organization,
                outcome="already_saved",
                sent=False,
                summary="This reply is already saved for review (not sent); nothing changed.",
                draft=records.response_draft_view(existing),
                notes=notes,
            )
            return shown(out, budget=state.settings.max_output_chars, zone=state.settings.zone)
        clobber_check(existing, payload, replace_existing)
        # No-clobber is check-then-write; the person's answer (or the lookups) may have taken a while, so
        # look again right before the write: a draft saved or changed meanwhile is not overwritten.
        latest = await pending_draft(state, org, conversation_id)
        if changed_underneath(existing, latest):
            changed_refusal(latest)
    body = {
        **payload,
        "autosend_draft": send,  # true only with a person's yes in autosend mode
        "add_notification": False if send else add_notification,
    }
    with claim_released_if_not_sent(send):
        if send:
            # A send is posted once: a lost answer is looked for (queued or sent), never blindly retried.
            created = await state.ledger.create(
                intent, lambda: state.api.upsert_response_draft(org, conversation_id, body), started=now()
            )
            receipt = _receipt_of(created.record) if created.found else created.record
            if created.found:
                notes.append(
                    f"HyperRep did not confirm the send ({created.lost}), but the reply is queued or sent: "
                    "returning it (not sent twice)."
                )
        else:
            receipt = await state.api.upsert_response_draft(org, conversation_id, body)  # idempotent: retried
    saved = await quiet(state.api.get_response_draft(org, conversation_id, receipt.id))
    if saved is not None and not same_reply(saved, payload):
        # Compare after: someone saved over this draft right after the write; say so, and show what it
        # holds now rather than claiming our text was saved.
        notes.append(
            "Changed underneath: right after this write the conversation's reply draft already holds different "
            "text (someone saved over it); the draft shown is what it holds now. Tell the person before drafting again."
        )
    # show
    out = written_out(
        state, organization, conversation_id, modality, payload, receipt, saved, existing, notes
    )
    return shown(out, budget=state.settings.max_output_chars, zone=state.settings.zone)


def reply_payload(args: dict[str, Any]) -> dict[str, Any]:
    """Validated, normalised reply body (without the send flags)."""
    return {
        "body_html": validation.body_html(args.get("body_text"), args.get("body_html"), required=True),
        "cc_emails": validation.emails(args.get("cc_emails"), "cc_emails"),
        "bcc_emails": validation.emails(args.get("bcc_emails"), "bcc_emails"),
    }


async def pending_draft(state: AppState, org: str, conversation_id: str) -> ResponseDraft | None:
    """The conversation's pending reply draft (the newest, should there be several)."""
    page = await state.api.list_response_drafts(org, conversation_id, limit=10)
    return max(page.data, key=lambda d: d.created_at or EPOCH) if page.data else None


async def reply_channel(state: AppState, org: str, conversation_id: str) -> str | None:
    """The conversation's channel ("email" / "text"), for naming the address a reply goes to. The
    conversation detail route is implied, not documented, and a documented conversation carries no
    modality, so its messages say it where the detail does not. A failed lookup costs the summary its
    channel, not the write (None: unknown). Both are asked at once: one round trip, not two."""
    conversation, page = await gather(
        lambda: quiet(state.api.get_conversation(org, conversation_id)),
        lambda: quiet(state.api.list_messages(org, conversation_id, limit=1)),
    )
    return _channel(conversation) or _channel(page)


async def channel_of(
    state: AppState, org: str, conversation_id: str, conversation: Conversation | None
) -> str | None:
    """The channel the conversation's detail says (None: not served), else one of its messages'."""
    return _channel(conversation) or _channel(
        await quiet(state.api.list_messages(org, conversation_id, limit=1))
    )


def _channel(source: Conversation | Page[Message] | None) -> str | None:
    """The channel a conversation's detail (an undocumented field) or its first listed message says."""
    if isinstance(source, Conversation):
        return source.extra_fields().get("modality")
    return source.data[0].modality if source and source.data else None


async def conversation_detail(state: AppState, org: str, conversation_id: str) -> Conversation | None:
    """The conversation's detail, None where the API does not serve that (implied) route: a send is
    then confirmed to the conversation's customer. A conversation that is not there still fails."""
    try:
        return await state.api.get_conversation(org, conversation_id)
    except EndpointMissingError:
        return None


async def sent_after_loss(
    state: AppState, org: str, conversation_id: str, body_html: str
) -> ResponseDraft | Message | None:
    """After a send's answer was lost: the same reply now queued in the conversation, or sent."""
    latest = await pending_draft(state, org, conversation_id)
    return await reconcile.find_sent_reply(state.api, org, conversation_id, body_html, now(), latest)


def _receipt_of(found: ResponseDraft | Message) -> DraftReceipt:
    """The receipt of a reply found queued (its draft) or sent (its message) after a lost answer."""
    if isinstance(found, ResponseDraft):
        return DraftReceipt(
            response_id=found.response_id,
            conversation_id=found.conversation_id,
            scheduled_to_send=True,
            scheduled_send_at=found.scheduled_send_at,
        )
    return DraftReceipt(
        response_id=found.message_id, conversation_id=found.conversation_id, scheduled_to_send=True
    )


def same_reply(draft: ResponseDraft, payload: dict[str, Any]) -> bool:
    return (
        reconcile.norm_text(draft.body_html) == reconcile.norm_text(payload["body_html"])
        and sorted(e.casefold() for e in draft.cc_emails)
        == sorted(e.casefold() for e in payload["cc_emails"])
        and sorted(e.casefold() for e in draft.bcc_emails)
        == sorted(e.casefold() for e in payload["bcc_emails"])
    )


def clobber_check(existing: ResponseDraft | None, payload: dict[str, Any], replace_existing: bool) -> None:
    """A different pending draft is only replaced on request, and a queued one never."""
    if existing is None or same_reply(existing, payload):
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


def changed_underneath(seen: ResponseDraft | None, latest: ResponseDraft | None) -> bool:
    if seen is None or latest is None:
        return (seen is None) != (latest is None)
    return seen.response_id != latest.response_id or reconcile.norm_text(
        seen.body_html
    ) != reconcile.norm_text(latest.body_html)


def changed_refusal(latest: ResponseDraft | None) -> None:
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


def _shown_draft(draft: ResponseDraft) -> str:
    """A reply draft quoted in an error: its id, then its text indented (clipped to the preview)."""
    body = clip(visible_text(draft.body_html), PREVIEW_CHARS)[0]
    return f"(response_id={draft.response_id}):\n" + "\n".join("    " + line for line in body.splitlines())


def written_out(
    state: AppState,
    organization: OrgRef,
    conversation_id: str,
    modality: str | None,
    payload: dict[str, Any],
    receipt: DraftReceipt,
    saved: ResponseDraft | None,
    existing: ResponseDraft | None,
    notes: list[str],
) -> ResponseDraftWriteOut:
    """The whole result: the draft as HyperRep holds it now (else as written), and what it replaced.
    The summary names the address the conversation's `modality` replies to: a text goes to the phone."""
    view = records.response_draft_view(saved) if saved else records.response_draft_view(
        ResponseDraft(response_id=receipt.id, conversation_id=conversation_id, body_html=payload["body_html"],
                      cc_emails=payload["cc_emails"], bcc_emails=payload["bcc_emails"],
                      scheduled_send_at=receipt.scheduled_send_at)
    )  # fmt: skip
    queued = receipt.scheduled_to_send or receipt.scheduled_send_at is not None
    previous = (
        visible_text(existing.body_html)
        if existing is not None and not same_reply(existing, payload)
        else None
    )
    names = (view.recipient_name, view.recipient_email, view.recipient_phone_number)
    to = addressee(modality, *names) if modality else recipient(*names)  # channel unknown: any address
    if not any(names):  # the draft was not read back; a reply goes to the conversation's customer regardless
        to = "the customer in this conversation"
    return ResponseDraftWriteOut(
        organization=organization,
        outcome="queued" if queued else "saved",
        sent=queued,
        summary=f"{saved_phrase(queued, iso(receipt.scheduled_send_at), state.settings.zone)} Reply to {to}"
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
