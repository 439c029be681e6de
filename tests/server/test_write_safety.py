"""Issue 12, the write side: a person confirms exactly what is sent, once (SPEC section 3 as amended).

Every test goes through a real MCP client session against the sandbox over HTTP, and checks what the
person was asked against what the sandbox recorded as sent (its request log), not against our code.
The replay of a 2026-07-28 confirmation is a raw protocol test in tests/e2e/test_scale_out.py.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import anyio
import pytest

from hyperrep_mcp.render.text import html_to_text
from hyperrep_mcp.sandbox.records import ResponseDraft
from tests.server.test_writes import EMAIL, Human, posted
from tests.support import RunningSandbox, connect, text_of

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


async def test_a_draft_saved_during_the_call_is_not_overwritten(sandbox: RunningSandbox):
    """A colleague saves a reply after the first no-clobber check: the check right before the write sees
    it, and nothing is changed."""
    conv = diana(sandbox)
    faults = sandbox.sandbox.faults
    faults.script("slow", method="GET", path_contains="/response-drafts", delay_s=0)  # the first check
    faults.script("slow", method="GET", path_contains="/response-drafts", delay_s=1.0)  # the re-check
    result: list[Any] = []
    async with connect(sandbox) as client, anyio.create_task_group() as tg:

        async def call() -> None:
            result.append(
                await client.call_tool(
                    "upsert_response_draft", {"conversation_id": conv, "body_text": "Ours."}
                )
            )

        tg.start_soon(call)
        await when_requested(sandbox, "GET", "/response-drafts", 2)  # the re-check is sleeping
        colleague_draft(sandbox, conv, "A colleague's careful reply.")
    [r] = result
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
    result: list[Any] = []
    async with connect(sandbox) as client, anyio.create_task_group() as tg:

        async def call() -> None:
            result.append(
                await client.call_tool(
                    "upsert_response_draft", {"conversation_id": conv, "body_text": "Ours."}
                )
            )

        tg.start_soon(call)
        await when_requested(sandbox, "GET", "/response-drafts/", 1)
        org = sandbox.sandbox.data.org(sandbox.org)
        ours = org.response_draft_for(conv)
        assert ours is not None and ours.body_html == "<p>Ours.</p>"
        org.response_drafts[ours.response_id] = dataclasses.replace(
            ours, body_html="<p>The person's edit.</p>"
        )
    [r] = result
    assert not r.is_error, text_of(r)
    assert any(n.startswith("Changed underneath") for n in r.structured_content["notes"])
    assert r.structured_content["draft"]["body_text"] == "The person's edit."
    assert "Changed underneath" in text_of(r) and "The person's edit." in text_of(r)
