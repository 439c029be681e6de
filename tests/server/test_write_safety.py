"""Issue 12, the write side: a person confirms exactly what is sent, once (SPEC section 3 as amended).

Every test goes through a real MCP client session against the sandbox over HTTP, and checks what the
person was asked against what the sandbox recorded as sent (its request log), not against our code.
The replay of a 2026-07-28 confirmation is a raw protocol test in tests/e2e/test_scale_out.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
import unicodedata
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ElicitResult

from hyperrep_mcp.render.text import html_to_text
from hyperrep_mcp.sandbox.records import ResponseDraft
from hyperrep_mcp.server.app import EXPIRED_CONFIRMATION, build_server
from hyperrep_mcp.server.http import build_http_app
from tests.server.test_writes import EMAIL, Human, posted
from tests.support import (
    HTTP_TIMEOUT_S,
    RunningSandbox,
    UvicornThread,
    connect,
    dianas_text_conversation,
    settings_for,
    text_of,
)

pytestmark = pytest.mark.anyio

MODES = ["auto", "legacy"]  # 2026-07-28 input_required round trip; 2025-11-25 elicitation/create


def diana(sb: RunningSandbox) -> str:
    return sb.sandbox.data.fixtures.diana_email_conversation_id


def sent_bodies(sb: RunningSandbox) -> list[dict[str, Any]]:
    return [w.json for w in sb.sandbox.writes() if w.method == "POST" and w.json is not None]


# --- finding 1: every recipient, Bcc included -----------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_reply_confirmation_shows_cc_and_bcc(sandbox: RunningSandbox, mode: str):
    human = Human("accept", send=True)
    args = {
        "conversation_id": diana(sandbox),
        "body_text": "See you Tuesday.",
        "cc_emails": ["boss@example.com"],
        "bcc_emails": ["x@attacker.example"],
        "autosend_draft": True,
    }
    async with connect(sandbox, write_mode="autosend", mode=mode, elicitation_callback=human) as client:
        r = await client.call_tool("upsert_response_draft", args)
    assert not r.is_error, text_of(r)
    [asked] = human.asked
    [sent] = sent_bodies(sandbox)
    assert sent["autosend_draft"] is True and sent["bcc_emails"] == ["x@attacker.example"]
    lines = asked.splitlines()
    assert "Bcc: x@attacker.example" in lines and "Cc: boss@example.com" in lines


async def test_a_text_confirmation_names_the_phone_it_goes_to(sandbox: RunningSandbox):
    human = Human("accept", send=True)
    args = {"modality": "text", "to_phone_number": "(415) 555-0199", "to_email": "hal@example.com",
            "to_user_name": "Hal Jordan", "body_text": "Your crew arrives at 9.", "autosend_draft": True}  # fmt: skip
    async with connect(sandbox, write_mode="autosend", elicitation_callback=human) as client:
        r = await client.call_tool("create_message_draft", args)
    assert not r.is_error, text_of(r)
    [sent] = sent_bodies(sandbox)
    lines = human.asked[0].splitlines()
    assert f"To: Hal Jordan {sent['to_phone_number']}" in lines and sent["modality"] == "text"
    assert not any(line.startswith("To:") and "hal@example.com" in line for line in lines)
    # The result names the same address.
    assert r.structured_content["summary"].endswith(f"Message draft to Hal Jordan {sent['to_phone_number']}.")


# --- finding 2: one-line fields are one line ------------------------------------------------------------

ONE_LINE = [
    ("create_message_draft", {**EMAIL, "body_text": "x", "to_user_name": "Hal\nTo: ceo@example.com"}, "to_user_name"),
    ("create_message_draft", {**EMAIL, "body_text": "x", "subject": "Quote\r\nBcc: x@attacker.example"}, "subject"),
    ("create_message_draft", {**EMAIL, "body_text": "x", "folder": "Sales\u2028Follow-up"}, "folder"),
    ("create_message_draft", {**EMAIL, "body_text": "x", "to_user_name": "Hal\x1b[2J"}, "to_user_name"),
    ("create_contact", {"name": "Hal\n(verified internal contact)"}, "name"),
    ("create_contact", {"name": "Hal", "company_role": "Buyer\rCEO"}, "company_role"),
]  # fmt: skip


@pytest.mark.parametrize(("tool", "args", "field"), ONE_LINE)
async def test_line_breaks_in_one_line_fields_are_refused(
    sandbox: RunningSandbox, tool: str, args: dict, field: str
):
    human = Human("accept", send=True)
    async with connect(sandbox, write_mode="autosend", elicitation_callback=human) as client:
        r = await client.call_tool(tool, {**args, **({"autosend_draft": True} if "modality" in args else {})})
    assert r.is_error and text_of(r).startswith(f"{field} must be one line"), text_of(r)
    assert human.asked == []  # refused before anything was shown
    assert sandbox.sandbox.writes() == []


@pytest.mark.parametrize("mode", MODES)
async def test_a_stored_name_with_line_breaks_is_shown_on_one_line(sandbox: RunningSandbox, mode: str):
    org = sandbox.sandbox.data.org(sandbox.org)
    conv = org.conversations[diana(sandbox)]
    contact = org.contacts[conv.contact_id]
    forged = "Diana Prince\nTo: Eleanor Vance <ev@example.com>\n(verified internal reply, safe to send)"
    org.contacts[contact.contact_id] = dataclasses.replace(contact, name=forged)
    human = Human("accept", send=True)
    async with connect(sandbox, write_mode="autosend", mode=mode, elicitation_callback=human) as client:
        r = await client.call_tool(
            "upsert_response_draft",
            {"conversation_id": conv.conversation_id, "body_text": "Hello.", "autosend_draft": True},
        )
    assert not r.is_error, text_of(r)
    [asked] = human.asked
    to_lines = [line for line in asked.splitlines() if line.startswith("To:")]
    assert to_lines == [
        f"To: Diana Prince To: Eleanor Vance <ev@example.com> (verified internal reply, safe to send) <{contact.email}>"
    ]
    assert not any(line.startswith("(verified") for line in asked.splitlines())


# --- finding 3: the preview is the delivery -------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_the_whole_body_is_shown_with_link_targets(sandbox: RunningSandbox, mode: str):
    body = (
        "<p>Hi Hal, your quote is attached.</p>"
        + "<p>"
        + "Details of the estimate follow. " * 70
        + "</p>"
        + '<p>Questions? <a href="tel:+19005550100">Call our office</a> or '
        '<a href="mailto:billing@attacker.example">email billing</a>.</p>'
        "<p>PS: wire the deposit to IBAN GB00 ATTK 0000 0000.</p>"
    )
    human = Human("accept", send=True)
    async with connect(sandbox, write_mode="autosend", mode=mode, elicitation_callback=human) as client:
        r = await client.call_tool(
            "create_message_draft", {**EMAIL, "body_html": body, "autosend_draft": True}
        )
    assert not r.is_error, text_of(r)
    [asked] = human.asked
    [sent] = sent_bodies(sandbox)
    assert sent["autosend_draft"] is True
    delivered = html_to_text(sent["body_html"])
    assert len(delivered) > 2000  # longer than the old 1,500-character preview
    assert "wire the deposit to IBAN GB00 ATTK 0000 0000." in asked and "…" not in asked
    assert "<tel:+19005550100>" in asked and "<mailto:billing@attacker.example>" in asked
    # Every paragraph delivered was shown, whole and in order.
    shown = " ".join(asked.split())
    details = " ".join(("Details of the estimate follow. " * 70).split())
    assert shown.index("Hi Hal, your quote is attached.") < shown.index(details) < shown.index("PS: wire")


async def test_invisible_characters_are_removed_from_what_is_sent(sandbox: RunningSandbox):
    # RLO...PDF shows "$0001" where the characters are "$1000"; a tag character hides text; ZWSP.
    body = "Total due: $\u202e1000\u202c today.\u200b Thanks\U000e0041\U000e0042"
    human = Human("accept", send=True)
    async with connect(sandbox, write_mode="autosend", elicitation_callback=human) as client:
        r = await client.call_tool(
            "create_message_draft",
            {**EMAIL, "subject": "Quote\u200b \u202eeton\u202c", "to_user_name": "Hal\u2066 Jordan",
             "body_text": body, "autosend_draft": True},
        )  # fmt: skip
    assert not r.is_error, text_of(r)
    [sent] = sent_bodies(sandbox)
    assert sent["body_html"] == "<p>Total due: $1000 today. Thanks</p>"
    assert sent["subject"] == "Quote eton" and sent["to_user_name"] == "Hal Jordan"
    [asked] = human.asked
    assert "Subject: Quote eton" in asked and "To: Hal Jordan <hal@example.com>" in asked
    assert "Total due: $1000 today. Thanks" in asked
    hidden = ("\u202e", "\u202c", "\u200b", "\u2066", "\U000e0041")
    assert not any(ch in asked or ch in str(sent) for ch in hidden)


@pytest.mark.parametrize("tool", ["create_message_draft", "upsert_response_draft"])
async def test_a_body_too_long_to_show_is_saved_not_sent(sandbox: RunningSandbox, tool: str):
    body = "Please read the terms. " * 400 + "PS: the price doubles tomorrow."
    args = (
        {**EMAIL, "body_text": body, "autosend_draft": True}
        if tool == "create_message_draft"
        else {"conversation_id": diana(sandbox), "body_text": body, "autosend_draft": True}
    )
    human = Human("accept", send=True)
    async with connect(sandbox, write_mode="autosend", elicitation_callback=human) as client:
        r = await client.call_tool(tool, args)
    assert not r.is_error, text_of(r)
    assert human.asked == []  # nobody was asked to approve text they could not be shown
    assert r.structured_content["sent"] is False and r.structured_content["outcome"] == "saved"
    assert "too long to show whole in a confirmation" in text_of(r) and "Not sent" in text_of(r)
    [sent] = sent_bodies(sandbox)
    assert sent["autosend_draft"] is False and "price doubles tomorrow" in sent["body_html"]


# --- finding 5: only a boolean true is consent -----------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("answer", ["yes", 1, "true", "True", None])
async def test_only_boolean_true_is_consent(sandbox: RunningSandbox, mode: str, answer: Any):
    human = Human("accept", send=answer)
    async with connect(sandbox, write_mode="autosend", mode=mode, elicitation_callback=human) as client:
        r = await client.call_tool(
            "create_message_draft", {**EMAIL, "body_text": "x", "autosend_draft": True}
        )
        r2 = await client.call_tool(
            "upsert_response_draft",
            {"conversation_id": diana(sandbox), "body_text": "y", "autosend_draft": True},
        )
    assert len(human.asked) >= 2
    for result in (r, r2):
        if answer is None:  # no value at all: an accepted form without the box is a plain no
            assert result.is_error or result.structured_content["sent"] is False, text_of(result)
        else:
            assert result.is_error and text_of(result).startswith(
                "Nothing was sent, saved or deleted: the answer"
            )
        assert "Resolver" not in text_of(result) and "Traceback" not in text_of(result)
    assert sandbox.sandbox.writes() == []


# --- finding 12: the no-clobber race ----------------------------------------------------------------------


def colleague_draft(sb: RunningSandbox, conversation_id: str, text: str) -> ResponseDraft:
    """A person saving a reply in the HyperRep app, straight into the sandbox's data."""
    org = sb.sandbox.data.org(sb.org)
    draft = ResponseDraft(
        response_id="HR_id_colleague",
        conversation_id=conversation_id,
        body_html=f"<p>{text}</p>",
        recipient_name=None,
        recipient_email=None,
        recipient_phone_number=None,
        created_at=sb.sandbox.now(),
    )
    org.response_drafts[draft.response_id] = draft
    return draft


async def when_requested(sb: RunningSandbox, method: str, fragment: str, count: int) -> None:
    with anyio.fail_after(20):
        # The sandbox logs from its own server thread: polled, no event to wait on.
        while sum(1 for r in sb.sandbox.requests if r.method == method and fragment in r.path) < count:  # noqa: ASYNC110
            await anyio.sleep(0.02)


async def upsert_while(
    sb: RunningSandbox, conversation_id: str, request: tuple[str, str, int], meanwhile: Any
) -> Any:
    """upsert_response_draft("Ours.") in drafts mode; once the sandbox has seen `request` (method, path
    fragment, count), run `meanwhile()` (a person acting in the app) while the call waits."""
    result: list[Any] = []
    async with connect(sb) as client, anyio.create_task_group() as tg:

        async def call() -> None:
            args = {"conversation_id": conversation_id, "body_text": "Ours."}
            result.append(await client.call_tool("upsert_response_draft", args))

        tg.start_soon(call)
        await when_requested(sb, *request)
        meanwhile()
    [r] = result
    return r


async def test_a_draft_saved_during_the_call_is_not_overwritten(sandbox: RunningSandbox):
    """A colleague saves a reply after the first no-clobber check: the check right before the write sees
    it, and nothing is changed."""
    conv = diana(sandbox)
    faults = sandbox.sandbox.faults
    faults.script("slow", method="GET", path_contains="/response-drafts", delay_s=0)  # the first check
    faults.script("slow", method="GET", path_contains="/response-drafts", delay_s=1.0)  # the re-check

    def meanwhile() -> None:
        colleague_draft(sandbox, conv, "A colleague's careful reply.")

    r = await upsert_while(sandbox, conv, ("GET", "/response-drafts", 2), meanwhile)  # the re-check sleeps
    assert r.is_error and text_of(r).startswith("Changed underneath"), text_of(r)
    assert "A colleague's careful reply." in text_of(r)
    assert posted(sandbox, "/response-drafts") == []
    stored = sandbox.sandbox.data.org(sandbox.org).response_drafts["HR_id_colleague"]
    assert stored.body_html == "<p>A colleague's careful reply.</p>"


async def test_a_draft_saved_over_right_after_the_write_is_reported(sandbox: RunningSandbox):
    """Compare after: a person saves over the draft right after our write; the result says the draft
    changed underneath and shows what it holds now, instead of claiming our text is saved."""
    conv = diana(sandbox)
    # The read-back after the write (GET .../response-drafts/{id}) waits while the person saves.
    sandbox.sandbox.faults.script("slow", method="GET", path_contains="/response-drafts/", delay_s=1.0)

    def meanwhile() -> None:
        org = sandbox.sandbox.data.org(sandbox.org)
        ours = org.response_draft_for(conv)
        assert ours is not None and ours.body_html == "<p>Ours.</p>"
        org.response_drafts[ours.response_id] = dataclasses.replace(
            ours, body_html="<p>The person's edit.</p>"
        )

    r = await upsert_while(sandbox, conv, ("GET", "/response-drafts/", 1), meanwhile)
    assert not r.is_error, text_of(r)
    assert any(n.startswith("Changed underneath") for n in r.structured_content["notes"])
    assert r.structured_content["draft"]["body_text"] == "The person's edit."
    assert "Changed underneath" in text_of(r) and "The person's edit." in text_of(r)


# --- review follow-up (issue 12): what the merged guard still let through --------------------------------


def sends(sb: RunningSandbox) -> list[dict[str, Any]]:
    """Accepted request bodies that asked HyperRep to send (autosend_draft true), from the sandbox's log."""
    return [
        w.json
        for w in sb.sandbox.writes()
        if w.method == "POST" and 200 <= w.status < 300 and (w.json or {}).get("autosend_draft") is True
    ]


async def confirmed_call(sb: RunningSandbox, tool: str, args: dict[str, Any], **kw: Any) -> tuple[Any, Human]:
    """One call in autosend mode whose confirmation a person answers yes; the result and what was asked."""
    human = Human("accept", send=True)
    async with connect(sb, write_mode="autosend", elicitation_callback=human, **kw) as client:
        result = await client.call_tool(tool, args)
    return result, human


def format_characters(value: str) -> list[str]:
    """Zero-width, bidi and tag characters (Unicode category Cf): ground truth, not our sanitizer."""
    return [f"U+{ord(ch):04X}" for ch in value if unicodedata.category(ch) == "Cf"]


async def test_entity_encoded_invisible_characters_are_not_sent(sandbox: RunningSandbox):
    body = "<p>Total due: $&#x202E;1000&#x202C; today&#8203;. <span>&#xE0041;&#xE0042;</span>Thanks</p>"
    r, human = await confirmed_call(
        sandbox, "create_message_draft", {**EMAIL, "body_html": body, "autosend_draft": True}
    )
    assert not r.is_error, text_of(r)
    [sent] = sends(sandbox)
    assert format_characters(sent["body_html"]) == [] and "$1000 today." in sent["body_html"]
    [asked] = human.asked
    assert format_characters(asked) == [] and "Total due: $1000 today. Thanks" in asked


async def test_a_link_title_is_not_delivered_unseen(sandbox: RunningSandbox):
    body = (
        '<p lang="en" title="PS: pay to IBAN GB11">See '
        '<a href="https://example.com/quote" title="PS: wire the deposit to IBAN GB00">the quote</a>.</p>'
    )
    r, human = await confirmed_call(
        sandbox, "create_message_draft", {**EMAIL, "body_html": body, "autosend_draft": True}
    )
    assert not r.is_error, text_of(r)
    [sent] = sends(sandbox)
    assert "IBAN" not in sent["body_html"] and "title" not in sent["body_html"]
    assert (
        "https://example.com/quote" in sent["body_html"] and "<https://example.com/quote>" in human.asked[0]
    )


def text_conversation_with_email_and_phone(sb: RunningSandbox) -> tuple[str, Any]:
    org = sb.sandbox.data.org(sb.org)
    conv = next(
        c
        for c in org.conversations.values()
        if c.modality == "text"
        and c.contact_id
        and org.contacts[c.contact_id].email
        and org.contacts[c.contact_id].phone_number
        and org.response_draft_for(c.conversation_id) is None
    )
    return conv.conversation_id, org.contacts[conv.contact_id]


@pytest.mark.parametrize("mode", MODES)
async def test_a_reply_in_a_text_conversation_is_confirmed_to_the_phone(sandbox: RunningSandbox, mode: str):
    conv, contact = text_conversation_with_email_and_phone(sandbox)
    args = {"conversation_id": conv, "body_text": "See you at 9.", "autosend_draft": True}
    r, human = await confirmed_call(sandbox, "upsert_response_draft", args, mode=mode)
    assert not r.is_error, text_of(r)
    [to] = [line for line in human.asked[0].splitlines() if line.startswith("To:")]
    assert contact.phone_number in to and contact.email not in to
    assert f"Recipient's email (recorded, not sent to): {contact.email}" in human.asked[0].splitlines()


async def test_a_reply_is_confirmed_and_sent_where_the_api_serves_no_conversation_detail(sandbox_factory):
    """Conversation detail is implied by the API's docs, not documented: without it the send
    confirmation is still asked (97cfd4e saved the draft there, the confirmation still failed with
    'This HyperRep API does not serve get conversation.'), and it names the channel the reply goes
    by, read from the conversation's messages, never an address it does not go to."""
    sb = sandbox_factory(implied_endpoints=False)
    _org, diana, conv = dianas_text_conversation(sb)
    args = {"conversation_id": conv.conversation_id, "body_text": "See you at 2.", "autosend_draft": True}
    r, human = await confirmed_call(sb, "upsert_response_draft", args)
    assert not r.is_error, text_of(r)
    [asked] = human.asked
    [to] = [line for line in asked.splitlines() if line.startswith("To:")]
    assert conv.conversation_id in to and "text message" in to, asked
    assert diana.email not in asked
    [sent] = sends(sb)
    assert sent["body_html"] == "<p>See you at 2.</p>"


async def test_a_text_with_a_subject_is_not_sent_twice(sandbox: RunningSandbox):
    """A sent (promoted) text keeps no subject: the same confirmed text at a second replica (its own
    used-set) must still find the first send upstream."""
    args = {"modality": "text", "to_phone_number": "(415) 555-0199", "subject": "Crew",
            "body_text": "Crew arrives at 9.", "autosend_draft": True}  # fmt: skip
    first, _ = await confirmed_call(sandbox, "create_message_draft", args)
    assert first.structured_content["sent"] is True, text_of(first)
    sandbox.sandbox.advance(30)  # sent: promoted into a conversation, no longer a draft
    second, _ = await confirmed_call(sandbox, "create_message_draft", args)  # a new server: a replica
    assert text_of(second).startswith("Not sent again"), text_of(second)
    assert len(sends(sandbox)) == 1


async def test_the_same_email_to_another_recipient_is_sent(sandbox: RunningSandbox):
    offer = {"modality": "email", "subject": "Spring offer", "body_text": "Hi, our spring offer is 10% off.",
             "autosend_draft": True}  # fmt: skip
    first, _ = await confirmed_call(sandbox, "create_message_draft", {**offer, "to_email": "hal@example.com"})
    assert first.structured_content["sent"] is True, text_of(first)
    sandbox.sandbox.advance(30)
    second, _ = await confirmed_call(
        sandbox, "create_message_draft", {**offer, "to_email": "bruce@example.com"}
    )
    assert not second.is_error and second.structured_content["sent"] is True, text_of(second)
    assert [s["to_email"] for s in sends(sandbox)] == ["hal@example.com", "bruce@example.com"]
    sandbox.sandbox.advance(30)
    again, _ = await confirmed_call(
        sandbox, "create_message_draft", {**offer, "to_email": "bruce@example.com"}
    )
    assert text_of(again).startswith("Not sent again") and len(sends(sandbox)) == 2, text_of(again)


async def test_a_too_long_body_already_saved_says_it_was_not_sent(sandbox: RunningSandbox):
    body = "Please read the terms. " * 400
    async with connect(
        sandbox, write_mode="autosend", elicitation_callback=Human("accept", send=True)
    ) as client:
        await client.call_tool(
            "upsert_response_draft", {"conversation_id": diana(sandbox), "body_text": body}
        )
        r = await client.call_tool(
            "upsert_response_draft",
            {"conversation_id": diana(sandbox), "body_text": body, "autosend_draft": True},
        )
    assert r.structured_content["outcome"] == "already_saved" and r.structured_content["sent"] is False
    assert any(n.startswith("Not sent: the body is") for n in r.structured_content["notes"]), text_of(r)
    assert "too long to show whole" in text_of(r) and sends(sandbox) == []


# --- the final round of a 2026-07-28 confirmation, as raw protocol -------------------------------------


class FinalRounds(httpx2.AsyncBaseTransport):
    """Passes requests through and keeps each final round (a tools/call carrying request state)."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.final: list[tuple[dict[str, str], bytes]] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content or b"{}") if request.method == "POST" else None
        if isinstance(body, dict) and (body.get("params") or {}).get("requestState"):
            self.final.append((dict(request.headers), bytes(request.content)))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@contextlib.asynccontextmanager
async def http_replica(sb: RunningSandbox) -> AsyncIterator[tuple[str, FinalRounds]]:
    """An autosend server over stateless streamable HTTP in this process, and the recorder."""
    settings = settings_for(
        sb, write_mode="autosend", organization_id=sb.org, mcp_state_key=os.urandom(32).hex()
    )
    with UvicornThread(build_http_app(build_server(settings), settings, stateless=True)) as server:
        yield f"{server.url}/mcp", FinalRounds()


async def confirm_over_http(url: str, rounds: FinalRounds, tool: str, args: dict[str, Any]) -> Any:
    async def yes(_context: Any, _params: Any) -> ElicitResult:
        return ElicitResult(action="accept", content={"send": True})

    async with (
        httpx2.AsyncClient(transport=rounds, timeout=HTTP_TIMEOUT_S) as http,
        Client(streamable_http_client(url, http_client=http), elicitation_callback=yes) as client,
    ):
        return await client.call_tool(tool, args)


async def post_again(url: str, headers: dict[str, str], content: bytes) -> dict[str, Any]:
    """Send a recorded final round again, byte for byte, as an attacker or a retrying client would."""
    keep = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")}
    async with httpx2.AsyncClient(timeout=HTTP_TIMEOUT_S) as http:
        response = await http.post(url, headers=keep, content=content)
    assert response.status_code == 200, response.text
    lines = [line[5:] for line in response.text.splitlines() if line.startswith("data:")]
    return json.loads(lines[-1] if lines else response.text)


HELLO = {
    "modality": "email",
    "to_email": "hal@example.com",
    "subject": "Q",
    "body_text": "Hello",
    "autosend_draft": True,
}


async def test_a_send_refused_before_anything_was_made_gives_the_confirmation_back(sandbox: RunningSandbox):
    """HyperRep refuses the create (429, nothing made): the same answer sent again may send, once."""
    sandbox.sandbox.faults.script(
        "rate_limit", times=50, method="POST", path_contains="/message-drafts", retry_after="0"
    )
    async with http_replica(sandbox) as (url, rounds):
        first = await confirm_over_http(url, rounds, "create_message_draft", HELLO)
        assert first.is_error and sends(sandbox) == [], text_of(first)
        sandbox.sandbox.faults.clear()
        headers, content = rounds.final[0]
        retried = await post_again(url, headers, content)
        assert retried["result"]["structuredContent"]["sent"] is True, retried
        again = await post_again(url, headers, content)
    assert again["result"]["content"][0]["text"].startswith("Not sent again")
    assert len(sends(sandbox)) == 1


async def test_a_send_with_an_unknown_outcome_is_not_claimed_as_sent(sandbox: RunningSandbox):
    """A 503 after sending leaves the outcome unknown: the replay sends nothing and does not say it was sent."""
    sandbox.sandbox.faults.script(
        "status", times=5, method="POST", path_contains="/message-drafts", status=503
    )
    async with http_replica(sandbox) as (url, rounds):
        first = await confirm_over_http(url, rounds, "create_message_draft", HELLO)
        assert first.is_error, text_of(first)
        sandbox.sandbox.faults.clear()
        replayed = await post_again(url, *rounds.final[0])
    text = replayed["result"]["content"][0]["text"]
    assert text.startswith("Not sent again") and "may or may not have gone through" in text
    assert "already used to send" not in text and sends(sandbox) == []


async def test_a_lone_surrogate_in_request_state_is_an_expired_confirmation(sandbox: RunningSandbox):
    async with http_replica(sandbox) as (url, rounds):
        await confirm_over_http(url, rounds, "create_message_draft", HELLO)
        headers, content = rounds.final[0]
        body = json.loads(content)
        body["params"]["requestState"] = "PLACEHOLDER"
        forged = json.dumps(body).replace('"PLACEHOLDER"', '"\\ud800abc"').encode()
        answer = await post_again(url, headers, forged)
    assert answer["result"]["isError"] is True
    assert answer["result"]["content"][0]["text"] == EXPIRED_CONFIRMATION
    assert len(sends(sandbox)) == 1  # the genuine first send only


async def test_the_already_sent_look_reads_the_recent_conversations_at_once(sandbox: RunningSandbox):
    """Before a send, each conversation started in the window is read; at once, not one after another."""
    for i in range(4):  # four sent emails: four new conversations in the window
        r, _ = await confirmed_call(
            sandbox,
            "create_message_draft",
            {**HELLO, "to_email": f"c{i}@example.com", "body_text": f"Note {i}"},
        )
        assert r.structured_content["sent"] is True, text_of(r)
    sandbox.sandbox.advance(30)
    sandbox.sandbox.faults.script("slow", times=4, method="GET", path_contains="/messages", delay_s=1.0)
    started = time.monotonic()
    r, _ = await confirmed_call(sandbox, "create_message_draft", {**HELLO, "body_text": "Something new"})
    elapsed = time.monotonic() - started
    assert r.structured_content["sent"] is True, text_of(r)
    slowed = [q for q in sandbox.sandbox.requests if q.method == "GET" and q.path.endswith("/messages")]
    assert len(slowed) >= 4
    assert elapsed < 3.5  # one after another: at least 4 s


async def test_a_send_stopped_by_a_failed_check_gives_the_confirmation_back(sandbox: RunningSandbox):
    """The already-sent look fails (HyperRep down for reads) before anything is written: the same
    answer sent again once HyperRep is back sends the reply, once."""
    args = {"conversation_id": diana(sandbox), "body_text": "Checked once.", "autosend_draft": True}
    async with http_replica(sandbox) as (url, rounds):
        sandbox.sandbox.faults.script("status", times=50, method="GET", path_contains="/messages", status=500)
        first = await confirm_over_http(url, rounds, "upsert_response_draft", args)
        assert first.is_error and sends(sandbox) == [], text_of(first)
        sandbox.sandbox.faults.clear()
        retried = await post_again(url, *rounds.final[0])
        again = await post_again(url, *rounds.final[0])
    assert retried["result"]["structuredContent"]["sent"] is True, retried
    assert again["result"]["content"][0]["text"].startswith("Not sent again")
    assert len(sends(sandbox)) == 1
