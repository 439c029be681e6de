"""What write tools return: plain words about what happened (saved / queued / deleted / nothing)."""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Literal

from pydantic import Field

from hyperrep_mcp.render.layout import next_steps, when
from hyperrep_mcp.render.records import contact_line, message_draft_line, response_draft_block
from hyperrep_mcp.render.text import html_to_text, one_line
from hyperrep_mcp.render.views import ContactView, MessageDraftView, OrgRef, Out, ResponseDraftView

Outcome = Literal["saved", "queued", "already_saved", "recovered", "not_created", "deleted", "kept"]


class WriteOut(Out):
    organization: OrgRef
    outcome: Outcome = Field(description="What happened upstream")
    sent: bool = Field(description="True only when a message was queued for delivery")
    summary: str = Field(description="One sentence saying what happened")
    notes: list[str] = Field(default_factory=list)
    suggested_calls: list[str] = Field(default_factory=list)


class ContactCreatedOut(WriteOut):
    contact: ContactView | None = None


class MessageDraftWriteOut(WriteOut):
    draft: MessageDraftView | None = None


class ResponseDraftWriteOut(WriteOut):
    draft: ResponseDraftView | None = None
    previous_body_text: str | None = Field(default=None, description="The body this write replaced")


def saved_phrase(queued: bool, send_at: str | None, zone: tzinfo = UTC) -> str:
    if queued:
        at = f" at {when(send_at, zone)}" if send_at else ""
        return f"Queued to send{at} (confirmed by you)."
    return "Saved for review — not sent."


def render(out: WriteOut, *, budget: int, zone: tzinfo = UTC) -> str:
    """The write's text; the record's times read in `zone` (HYPERREP_TIMEZONE)."""
    lines = [out.summary]
    if isinstance(out, ContactCreatedOut) and out.contact:
        lines.append(contact_line(out.contact, zone=zone))
    if isinstance(out, MessageDraftWriteOut) and out.draft:
        lines.append(message_draft_line(out.draft, with_body=True, zone=zone))
    if isinstance(out, ResponseDraftWriteOut):
        if out.draft:
            lines.append(response_draft_block(out.draft, zone=zone))
        if out.previous_body_text:
            lines.append(
                "Replaced this earlier draft:\n"
                + "\n".join("    " + ln for ln in out.previous_body_text.splitlines())
            )
    lines += out.notes
    lines += next_steps(out.suggested_calls)
    text = "\n".join(lines)
    return text if len(text) <= budget else text[: budget - 1] + "…"


def recipient(name: str | None, email: str | None, phone: str | None) -> str:
    address = f"<{one_line(email)}>" if email else one_line(phone)
    return " ".join(part for part in (one_line(name), address) if part) or "(no recipient)"


def delivered_text(body_html: str | None) -> str:
    """The text a recipient sees in `body_html` (already sanitized: no styles, nothing hidden), with
    every link's target written out (tel:, mailto:, http), for a person to confirm."""
    if not body_html:
        return ""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(body_html)
    for link in tree.css("a"):
        href = one_line(link.attributes.get("href"))
        if href:
            link.insert_after(f" <{href}>")  # a text node: escaped when serialised
        if "href" in link.attrs:
            del link.attrs["href"]
    return html_to_text(tree.html or "")
