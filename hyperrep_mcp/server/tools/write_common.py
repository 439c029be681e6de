"""What the write tools share (SPEC section 3): their common inputs, the send confirmation flow,
the single-use claim of a confirmation, the too-long rule and the plain results.

- Outside autosend mode the send parameters are in no schema (registry.py), and a send is only
  ever requested here (`send_requested`) when the write policy may send.
- Sending needs a person's yes (a JSON true) to a question showing every recipient and the whole
  body as it will be delivered; a body too long to show whole is saved for review instead.
- One confirmation sends at most once: it is claimed before the write and given back only when
  the send certainly never reached HyperRep. Across replicas, ledger.py looks for the same message
  already queued or sent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Annotated, Any

from mcp.server.mcpserver import ElicitationResult
from mcp.types import CallToolResult
from pydantic import Field

from hyperrep_mcp.api.client import iso
from hyperrep_mcp.api.errors import APIStatusError, HyperRepError, OutcomeUnknownError, UnreachableError
from hyperrep_mcp.render.text import message_text, one_line
from hyperrep_mcp.render.views import OrgRef
from hyperrep_mcp.render.writes import WriteOut, delivered_text, recipient, render
from hyperrep_mcp.server import confirm
from hyperrep_mcp.server.results import tool_result
from hyperrep_mcp.server.state import AppState

EmailList = Annotated[list[Annotated[str, Field(max_length=320)]] | None, Field(max_length=20)]
BodyText = Annotated[
    str | None,
    Field(description="Plain text (preferred); blank lines separate paragraphs", max_length=50_000),
]
BodyHtml = Annotated[str | None, Field(description="Instead of body_text; sanitized", max_length=50_000)]
AddNotification = Annotated[bool, Field(description="Notify the team")]
AutosendDraft = Annotated[
    bool, Field(description="Send right away instead of saving for review; a person must confirm first")
]
PREVIEW_CHARS = 1500
# The longest body a confirmation shows whole. A longer one is saved for review instead of sent:
# a person cannot be asked to approve text they are not shown.
CONFIRM_BODY_CHARS = 4000


def visible_text(html: str | None) -> str:
    return message_text(html, None, concise=False).body


# --- results ---------------------------------------------------------------------------------------


def shown(out: WriteOut, *, budget: int, zone: tzinfo = UTC) -> CallToolResult:
    """The whole result of a write, as the read tools' `shown(record, budget=...)`: the record is the
    write's own typed view (what happened, the record written, notes, next calls), and its text is
    render.writes.render; both within `budget`."""
    return tool_result(out, render(out, budget=budget, zone=zone), budget=budget)


def again(earlier: WriteOut, note: str, *, budget: int) -> CallToolResult:
    """The first call's result, returned for an identical create."""
    return shown(earlier.model_copy(update={"outcome": "already_saved", "notes": [note]}), budget=budget)


def not_created(organization: OrgRef, summary: str) -> CallToolResult:
    out = WriteOut(organization=organization, outcome="not_created", sent=False, summary=summary)
    return tool_result(out, summary)


# --- sending ---------------------------------------------------------------------------------------


def send_requested(state: AppState, autosend_draft: bool) -> bool:
    return state.settings.write_policy.may_send and autosend_draft is True


@dataclass(frozen=True)
class SendDecision:
    """Whether this call sends. `too_long`: a send was asked for but the body cannot be shown whole,
    so it is saved for review; `refusal`: nothing happens (not confirmed, or a confirmation used)."""

    send: bool
    too_long: bool = False
    refusal: str | None = None


def decide_send(
    state: AppState, autosend_draft: bool, answer: ElicitationResult[Any] | None, body_html: str | None
) -> SendDecision:
    """The send confirmation flow's verdict, claiming the confirmation when it sends (single use)."""
    if not send_requested(state, autosend_draft):
        return SendDecision(send=False)
    if too_long_to_confirm(body_html):
        return SendDecision(send=False, too_long=True)
    if not confirmed(answer, "send"):
        return SendDecision(send=False, refusal="Not sent and not saved: the send was not confirmed.")
    if not claim_confirmation():
        return SendDecision(send=False, refusal=REPLAYED)
    return SendDecision(send=True)


def confirmed(answer: ElicitationResult[Any] | None, field: str) -> bool:
    """Consent is only an accepted answer with the box ticked (JSON true); an unclear answer is refused."""
    return confirm.answer_is_yes(answer, field)


def send_refusal(what: str) -> str:
    return (
        "Nothing was sent or saved: this client cannot ask you to confirm a send. Call again without "
        f"autosend_draft to save {what} for review, or send it from the HyperRep app."
    )


def too_long_to_confirm(body_html: str | None) -> bool:
    return len(delivered_text(body_html)) > CONFIRM_BODY_CHARS


def too_long_note(body_html: str | None) -> str:
    return (
        f"Not sent: the body is {len(delivered_text(body_html)):,} characters, too long to show whole in a "
        f"confirmation (at most {CONFIRM_BODY_CHARS:,}), so it was saved for review instead. Read it and send "
        "it from the HyperRep app, or shorten it and call again."
    )


def confirmation_text(to: list[str], payload: dict[str, Any]) -> str:
    """What a person confirms a send on, all from the payload that is sent: every recipient (`to`,
    then Cc and Bcc), the subject if any, then the whole body as it will be delivered."""
    head = [
        *to,
        f"Cc: {', '.join(payload['cc_emails'])}" if payload.get("cc_emails") else None,
        f"Bcc: {', '.join(payload['bcc_emails'])}" if payload.get("bcc_emails") else None,
        f"Subject: {payload['subject']}" if payload.get("subject") else None,
    ]
    return "\n".join([*(h for h in head if h), "", delivered_text(payload.get("body_html")) or "(no body)"])


def addressee(modality: str | None, name: str | None, email: str | None, phone: str | None) -> str:
    """Who a message goes to, by the address its modality uses: a text goes to the phone even when an
    email is known, an email to the address."""
    text = modality == "text"
    return recipient(name, None if text else email, phone if text else None)


def to_lines(modality: str | None, name: str | None, email: str | None, phone: str | None) -> list[str]:
    """The confirmation's "To:" line, and the address the modality does not use marked as such.
    With the channel unknown (a reply whose conversation says neither), no address is said to be
    unused: the person sees every address it may go to."""
    if modality not in ("email", "text"):
        addresses = " or ".join(a for a in (f"<{one_line(email)}>" if email else "", one_line(phone)) if a)
        who = " ".join(part for part in (one_line(name), addresses) if part) or "(no recipient)"
        return [f"To: {who} (by the conversation's channel, which HyperRep did not say)"]
    text = modality == "text"
    return [
        line
        for line in (
            f"To: {addressee(modality, name, email, phone)}",
            f"Recipient's email (recorded, not sent to): {one_line(email)}" if text and email else None,
            f"Recipient's phone (recorded, not sent to): {one_line(phone)}" if not text and phone else None,
        )
        if line
    ]


REPLAYED = (
    "Not sent again: this confirmation was already used for a send of this message (one confirmation "
    "sends at most once; that send may or may not have gone through). Nothing more was sent or saved: "
    "check the conversation in HyperRep, and call the tool again to be asked afresh if it is not there."
)


def already_sent(found: Any) -> str:
    when = getattr(found, "scheduled_send_at", None) or getattr(found, "timestamp", None)
    at = f" at {iso(when)[:19].replace('T', ' ')}Z" if when else ""
    return (
        f"Not sent again: the same message was already queued or sent{at}, within a confirmation's lifetime "
        "(a replayed or repeated confirmation sends once). Nothing more was sent or saved; check the "
        "conversation in HyperRep."
    )


def claim_confirmation() -> bool:
    """Single use at this replica: False when this call answers a confirmation already acted on."""
    identity = confirm.confirmation_id()
    return identity is None or confirm.USED.claim(identity)


@contextlib.contextmanager
def claim_released_if_not_sent(send: bool, *, before_write: bool = False) -> Iterator[None]:
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
