"""The write guard (SPEC section 3), each rule proven against the sandbox's request log and data."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import ElicitRequestParams, ElicitResult

from tests.support import RunningSandbox, connect, dianas_text_conversation, text_of

pytestmark = pytest.mark.anyio

EMAIL = {
    "modality": "email",
    "to_email": "hal@example.com",
    "to_user_name": "Hal Jordan",
    "subject": "Your quote",
}


def posted(sb: RunningSandbox, fragment: str) -> list[Any]:
    return [r for r in sb.sandbox.writes() if r.method == "POST" and fragment in r.path]


def message_drafts(sb: RunningSandbox) -> dict[str, Any]:
    return sb.sandbox.data.org(sb.org).message_drafts


class Human:
    """An elicitation callback that records what the person was shown and answers as told."""

    def __init__(self, action: str = "accept", **content: Any) -> None:
        self.action, self.content, self.asked = action, content, []

    async def __call__(self, context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.asked.append(params.message)
        if self.action == "accept":
            return ElicitResult(action="accept", content=self.content)
        return ElicitResult(action=self.action)


# --- drafts mode: saved for review, never sent --------------------------------------------------------


async def test_message_draft_is_saved_for_review_and_says_so(sandbox: RunningSandbox):
    async with connect(sandbox) as client:
        r = await client.call_tool(
            "create_message_draft", {**EMAIL, "body_text": "Hi Hal,\n\nYour quote is ready."}
        )
    assert not r.is_error, text_of(r)
    assert "Saved for review — not sent" in text_of(r)
    out = r.structured_content
    assert out["outcome"] == "saved" and out["sent"] is False and out["draft"]["status"] == "saved"
    stored = message_drafts(sandbox)[out["draft"]["draft_id"]]
    assert stored.recipient_email == "hal@example.com" and stored.scheduled_send_at is None
    assert stored.body_html == "<p>Hi Hal,</p><p>Your quote is ready.</p>"
    [request] = posted(sandbox, "/message-drafts")
    assert request.json["autosend_draft"] is False and request.json["add_notification"] is True


async def test_autosend_passed_anyway_never_reaches_the_api(sandbox: RunningSandbox):
    async with connect(sandbox, write_mode="drafts") as client:
        r = await client.call_tool(
            "create_message_draft",
            {**EMAIL, "body_text": "x", "autosend_draft": True, "send_confirmation": {"send": True}},
        )
        assert not r.is_error and r.structured_content["sent"] is False
        conv = sandbox.sandbox.data.fixtures.diana_email_conversation_id
        r = await client.call_tool(
            "upsert_response_draft",
            {"conversation_id": conv, "body_text": "Tuesday works.", "autosend_draft": True},
        )
        assert not r.is_error and r.structured_content["sent"] is False
    bodies = [w.json for w in sandbox.sandbox.writes() if w.json is not None]
    assert len(bodies) == 2 and all(b["autosend_draft"] is False for b in bodies)
    assert all(
        d.scheduled_send_at is None
        for d in message_drafts(sandbox).values()
        if d.recipient_email == "hal@example.com"
    )


async def test_read_only_mode_has_no_write_tool(sandbox: RunningSandbox):
    async with connect(sandbox, write_mode="read_only") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        r = await client.call_tool("create_message_draft", {**EMAIL, "body_text": "x"})
    assert "create_message_draft" not in names and r.is_error
    assert sandbox.sandbox.writes() == []


# --- validation before any request -------------------------------------------------------------------

INVALID = [
    ("create_message_draft", {"modality": "email", "subject": "x"}, "to_email"),
    ("create_message_draft", {"modality": "text", "to_email": "a@example.com", "body_text": "x"}, "to_phone_number"),
    ("create_message_draft", {"modality": "email", "to_email": "not-an-email", "subject": "x"}, "to_email"),
    ("create_message_draft", {"modality": "email", "to_email": "a@example.com"}, "subject or a body"),
    ("create_message_draft", {**EMAIL, "body_text": "a", "body_html": "<p>b</p>"}, "not both"),
    ("create_message_draft", {**EMAIL, "body_html": "<script>alert(1)</script>"}, "no visible text"),
    ("create_message_draft", {**EMAIL, "body_text": "x", "cc_emails": ["ok@example.com", "bad@"]}, "cc_emails"),
    ("create_message_draft", {"modality": "text", "to_phone_number": "12", "body_text": "x"}, "to_phone_number"),
    ("create_message_draft", {"modality": "text", "to_phone_number": "+14155550199", "body_text": "x", "cc_emails": ["a@example.com"]}, "email drafts only"),
    ("create_message_draft", {"modality": "fax", "to_email": "a@example.com", "subject": "x"}, "modality"),
    ("create_contact", {}, "at least one of name, email or phone_number"),
    ("create_contact", {"email": "nope@@example"}, "email"),
    ("create_contact", {"name": "X", "phone_number": "call me maybe"}, "phone_number"),
    ("create_contact", {"name": "X", "custom_fields": {"notes": "x"}}, "custom_fields"),
    ("create_contact", {"name": "X", "custom_fields": [{"name": "notes", "value": "a"}, {"name": "notes ", "value": "b"}]}, "custom_fields names 'notes' twice"),
    ("create_contact", {"name": "X", "custom_fields": [{"name": "notes", "value": "a", "extra": 1}]}, "custom_fields"),
    ("create_contact", {"name": "X", "custom_fields": [{"name": " ", "value": "a"}]}, "custom_fields[0].name is empty"),
    ("upsert_response_draft", {"conversation_id": "c"}, "body is missing"),
    ("upsert_response_draft", {"conversation_id": "c", "body_text": "x", "bcc_emails": ["x"]}, "bcc_emails"),
]  # fmt: skip


@pytest.mark.parametrize(("tool", "args", "names"), INVALID)
async def test_invalid_writes_send_nothing_upstream(
    sandbox: RunningSandbox, tool: str, args: dict, names: str
):
    async with connect(sandbox) as client:
        r = await client.call_tool(tool, args)
    assert r.is_error
    assert names in text_of(r)
    assert "Traceback" not in text_of(r)
    assert sandbox.sandbox.writes() == []


async def test_body_html_is_sanitized_before_sending(sandbox: RunningSandbox):
    html = '<p onclick="steal()">Hi <a href="javascript:evil()">there</a></p><script>x()</script><style>p{}</style>'
    async with connect(sandbox) as client:
        r = await client.call_tool("create_message_draft", {**EMAIL, "body_html": html})
    assert not r.is_error, text_of(r)
    [request] = posted(sandbox, "/message-drafts")
    sent = request.json["body_html"]
    assert "Hi" in sent and "there" in sent
    for bad in ("onclick", "javascript:", "<script", "<style", "steal", "x()"):
        assert bad not in sent


async def test_phone_numbers_are_normalised(sandbox: RunningSandbox):
    async with connect(sandbox) as client:
        r = await client.call_tool("create_contact", {"name": "Hal Two", "phone_number": "(415) 555-0123"})
    assert not r.is_error, text_of(r)
    [request] = posted(sandbox, "/contacts")
    assert request.json["phone_number"] == "+14155550123"


# --- no silent clobbering ----------------------------------------------------------------------------


def pending_reply(sb: RunningSandbox):
    """A conversation with a reply draft already awaiting review (a person's work, in the seed data)."""
    org = sb.sandbox.data.org(sb.org)
    draft = next(d for d in org.response_drafts.values() if d.scheduled_send_at is None)
    return draft.conversation_id, draft


async def test_a_persons_reply_draft_survives_an_upsert(sandbox: RunningSandbox):
    conv, draft = pending_reply(sandbox)
    before = draft.body_html
    async with connect(sandbox) as client:
        r = await client.call_tool(
            "upsert_response_draft", {"conversation_id": conv, "body_text": "Our new text."}
        )
    assert r.is_error and "replace_existing=true" in text_of(r)
    assert draft.response_id in text_of(r)
    assert sandbox.sandbox.data.org(sandbox.org).response_drafts[draft.response_id].body_html == before
    assert posted(sandbox, "/response-drafts") == []


async def test_replace_existing_returns_the_previous_body(sandbox: RunningSandbox):
    conv, draft = pending_reply(sandbox)
    async with connect(sandbox) as client:
        r = await client.call_tool(
            "upsert_response_draft",
            {"conversation_id": conv, "body_text": "Our new text.", "replace_existing": True},
        )
    assert not r.is_error, text_of(r)
    previous = r.structured_content["previous_body_text"]
    from hyperrep_mcp.render.text import html_to_text

    assert previous and previous.split()[0] in html_to_text(draft.body_html)
    assert "Replaced this earlier draft" in text_of(r) and "Saved for review — not sent" in text_of(r)
    stored = sandbox.sandbox.data.org(sandbox.org).response_drafts[draft.response_id]
    assert stored.body_html == "<p>Our new text.</p>"


async def test_same_reply_twice_is_not_a_clobber(sandbox: RunningSandbox):
    conv = sandbox.sandbox.data.fixtures.diana_email_conversation_id
    args = {"conversation_id": conv, "body_text": "Tuesday at 2pm works."}
    async with connect(sandbox) as client:
        first = await client.call_tool("upsert_response_draft", args)
        second = await client.call_tool("upsert_response_draft", args)
    assert not first.is_error and not second.is_error
    assert second.structured_content["outcome"] == "already_saved"
    assert len(posted(sandbox, "/response-drafts")) == 1


async def test_a_reply_in_a_text_conversation_names_the_phone_it_goes_to(sandbox: RunningSandbox):
    """A text (SMS) reply goes to the contact's phone, so the summary names the phone, not the email
    the contact also has and the saved draft also carries."""
    _org, diana, conv = dianas_text_conversation(sandbox)
    assert diana.email and diana.phone_number
    async with connect(sandbox) as client:
        r = await client.call_tool(
            "upsert_response_draft", {"conversation_id": conv.conversation_id, "body_text": "See you at 2."}
        )
    assert not r.is_error, text_of(r)
    summary = r.structured_content["summary"]
    assert f"Reply to {diana.name} {diana.phone_number}." in summary, summary
    assert diana.email not in summary


async def test_a_reply_is_saved_where_the_api_serves_no_conversation_detail(sandbox_factory):
    """Conversation detail is implied by the API's docs, not documented, and a documented conversation
    carries no modality: the reply is still saved, and its summary still names the phone of a text
    conversation (the channel read from its messages)."""
    sb = sandbox_factory(implied_endpoints=False)  # conversation detail answers 404 like an unknown route
    org, diana, conv = dianas_text_conversation(sb)
    async with connect(sb) as client:
        r = await client.call_tool(
            "upsert_response_draft", {"conversation_id": conv.conversation_id, "body_text": "See you at 2."}
        )
    assert not r.is_error, text_of(r)
    assert org.response_draft_for(conv.conversation_id) is not None
    summary = r.structured_content["summary"]
    assert f"Reply to {diana.name} {diana.phone_number}." in summary, summary


async def test_the_channel_of_a_reply_is_read_in_the_same_round_trip_as_its_detail(sandbox_factory):
    """Without a detail that says the channel, the channel comes from one message: read at the same
    time as the detail, not after it (that made every reply wait one round trip more)."""
    sb = sandbox_factory(implied_endpoints=False, latency_ms=150)
    _org, _diana, conv = dianas_text_conversation(sb)
    async with connect(sb) as client:
        sb.sandbox.requests.clear()
        r = await client.call_tool(
            "upsert_response_draft", {"conversation_id": conv.conversation_id, "body_text": "See you at 2."}
        )
    assert not r.is_error, text_of(r)
    seen = {
        kind: [q.at for q in sb.sandbox.requests if q.method == "GET" and q.path.endswith(suffix)]
        for kind, suffix in (
            ("detail", conv.conversation_id),
            ("messages", f"{conv.conversation_id}/messages"),
        )
    }
    assert seen["detail"] and seen["messages"], seen
    assert abs(min(seen["messages"]) - min(seen["detail"])) < 0.1  # sent together, well under 150 ms


async def test_a_reply_whose_saved_copy_cannot_be_read_back_does_not_say_it_has_no_recipient(
    sandbox: RunningSandbox,
):
    """The read after the write fails (the recipient comes from it): the reply still goes to the
    conversation's customer, as HyperRep holds it, so the summary must not say '(no recipient)'."""
    fx = sandbox.sandbox.data.fixtures
    org = sandbox.sandbox.data.org(sandbox.org)
    cid = fx.diana_email_conversation_id
    sandbox.sandbox.faults.script(
        "status", status=503, times=5, method="GET", path_contains="/response-drafts/"
    )
    async with connect(sandbox) as client:
        r = await client.call_tool(
            "upsert_response_draft", {"conversation_id": cid, "body_text": "See you at 2."}
        )
    assert not r.is_error, text_of(r)
    stored = org.response_draft_for(cid)
    assert stored is not None and stored.recipient_name == org.contacts[fx.diana_contact_id].name
    summary = r.structured_content["summary"]
    assert "no recipient" not in summary, summary
    assert summary.startswith("Saved for review — not sent. Reply to the customer in this conversation"), (
        summary
    )


# --- no duplicates -----------------------------------------------------------------------------------


async def test_identical_create_within_a_minute_returns_the_first(sandbox: RunningSandbox):
    args = {**EMAIL, "body_text": "Checking in on the quote."}
    async with connect(sandbox) as client:
        first = await client.call_tool("create_message_draft", args)
        second = await client.call_tool("create_message_draft", args)
        other = await client.call_tool("create_message_draft", {**args, "body_text": "A different message."})
    assert first.structured_content["draft"]["draft_id"] == second.structured_content["draft"]["draft_id"]
    assert second.structured_content["outcome"] == "already_saved"
    assert other.structured_content["draft"]["draft_id"] != first.structured_content["draft"]["draft_id"]
    assert len(posted(sandbox, "/message-drafts")) == 2


async def test_identical_create_on_another_replica_is_found_upstream(sandbox: RunningSandbox):
    args = {**EMAIL, "body_text": "Sent from replica one."}
    async with connect(sandbox) as one, connect(sandbox) as two:  # two servers: no shared memory
        first = await one.call_tool("create_message_draft", args)
        second = await two.call_tool("create_message_draft", args)
    assert second.structured_content["draft"]["draft_id"] == first.structured_content["draft"]["draft_id"]
    assert len(posted(sandbox, "/message-drafts")) == 1


@pytest.mark.parametrize("then", ["status", "drop"])
async def test_commit_then_fail_leaves_exactly_one_draft(sandbox: RunningSandbox, then: str):
    for i in range(5):
        params = {"then": "drop"} if then == "drop" else {}
        sandbox.sandbox.faults.script(
            "commit_then_fail", method="POST", path_contains="/message-drafts", **params
        )
        body = f"Attempt {i}: following up on the estimate."
        async with connect(sandbox) as client:
            r = await client.call_tool("create_message_draft", {**EMAIL, "body_text": body})
        assert not r.is_error, text_of(r)
        assert r.structured_content["outcome"] == "recovered"
        matching = [
            d for d in message_drafts(sandbox).values() if d.body_html and f"Attempt {i}:" in d.body_html
        ]
        assert len(matching) == 1
        assert r.structured_content["draft"]["draft_id"] == matching[0].draft_id
    assert len(posted(sandbox, "/message-drafts")) == 5


async def test_a_create_that_never_landed_is_tried_once_more(sandbox: RunningSandbox):
    """A 503 that saved nothing: the server looks first, finds nothing, then tries once more."""
    sandbox.sandbox.faults.script("status", status=503, method="POST", path_contains="/message-drafts")
    async with connect(sandbox) as client:
        r = await client.call_tool("create_message_draft", {**EMAIL, "body_text": "One and only."})
    assert not r.is_error, text_of(r)
    assert r.structured_content["outcome"] == "recovered"
    made = [d for d in message_drafts(sandbox).values() if d.body_html and "One and only" in d.body_html]
    assert len(made) == 1
    assert [w.status for w in posted(sandbox, "/message-drafts")] == [503, 200]
    lookups = [
        r for r in sandbox.sandbox.requests if r.method == "GET" and r.path.endswith("/message-drafts")
    ]
    assert lookups and lookups[-1].at < posted(sandbox, "/message-drafts")[1].at  # looked before retrying


async def test_a_send_with_unknown_outcome_is_never_retried(sandbox: RunningSandbox):
    sandbox.sandbox.faults.script("status", status=503, method="POST", path_contains="/message-drafts")
    async with connect(
        sandbox, write_mode="autosend", elicitation_callback=Human("accept", send=True)
    ) as client:
        r = await client.call_tool(
            "create_message_draft", {**EMAIL, "body_text": "Send once.", "autosend_draft": True}
        )
    assert r.is_error and "NOT retried" in text_of(r)
    assert len(posted(sandbox, "/message-drafts")) == 1


async def test_contact_commit_then_fail_is_reconciled(sandbox: RunningSandbox):
    sandbox.sandbox.faults.script("commit_then_fail", method="POST", path_contains="/contacts")
    async with connect(sandbox) as client:
        r = await client.call_tool("create_contact", {"name": "Carol Ferris", "email": "carol@example.com"})
    assert not r.is_error, text_of(r)
    made = [
        c for c in sandbox.sandbox.data.org(sandbox.org).contacts.values() if c.email == "carol@example.com"
    ]
    assert len(made) == 1 and r.structured_content["contact"]["contact_id"] == made[0].contact_id


# --- autosend: a person confirms, or nothing happens ----------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_autosend_after_confirmation_queues_the_message(sandbox: RunningSandbox, mode: str):
    human = Human("accept", send=True)
    async with connect(sandbox, write_mode="autosend", mode=mode, elicitation_callback=human) as client:
        r = await client.call_tool(
            "create_message_draft", {**EMAIL, "body_text": "Hi Hal, booked!", "autosend_draft": True}
        )
    assert not r.is_error, text_of(r)
    assert r.structured_content["sent"] is True and "Queued to send" in text_of(r)
    [asked] = human.asked
    assert "hal@example.com" in asked and "Your quote" in asked and "Hi Hal, booked!" in asked
    [request] = posted(sandbox, "/message-drafts")
    assert request.json["autosend_draft"] is True and request.json["add_notification"] is False


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize("answer", [Human("decline"), Human("cancel"), Human("accept", send=False)])
async def test_declined_send_creates_nothing(sandbox: RunningSandbox, mode: str, answer: Human):
    answer.asked.clear()
    async with connect(sandbox, write_mode="autosend", mode=mode, elicitation_callback=answer) as client:
        r = await client.call_tool(
            "create_message_draft", {**EMAIL, "body_text": "x", "autosend_draft": True}
        )
        conv = sandbox.sandbox.data.fixtures.diana_email_conversation_id
        r2 = await client.call_tool(
            "upsert_response_draft", {"conversation_id": conv, "body_text": "y", "autosend_draft": True}
        )
    assert not r.is_error and r.structured_content["outcome"] == "not_created" and "Not sent" in text_of(r)
    assert not r2.is_error and r2.structured_content["outcome"] == "not_created"
    assert sandbox.sandbox.writes() == []


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_client_that_cannot_elicit_sends_nothing(sandbox: RunningSandbox, mode: str):
    async with connect(sandbox, write_mode="autosend", mode=mode) as client:  # no elicitation callback
        r = await client.call_tool(
            "create_message_draft", {**EMAIL, "body_text": "x", "autosend_draft": True}
        )
    assert r.is_error and "cannot ask you to confirm" in text_of(r)
    assert sandbox.sandbox.writes() == []


async def test_autosend_mode_still_saves_drafts_without_asking(sandbox: RunningSandbox):
    human = Human("accept", send=True)
    async with connect(sandbox, write_mode="autosend", elicitation_callback=human) as client:
        r = await client.call_tool("create_message_draft", {**EMAIL, "body_text": "Just a draft."})
    assert not r.is_error and r.structured_content["sent"] is False and human.asked == []


async def test_reply_confirmation_shows_the_recipient(sandbox: RunningSandbox):
    human = Human("accept", send=True)
    conv = sandbox.sandbox.data.fixtures.diana_email_conversation_id
    async with connect(sandbox, write_mode="autosend", elicitation_callback=human) as client:
        r = await client.call_tool(
            "upsert_response_draft",
            {"conversation_id": conv, "body_text": "See you Tuesday.", "autosend_draft": True},
        )
    assert not r.is_error, text_of(r)
    assert "Diana Prince" in human.asked[0] and "See you Tuesday." in human.asked[0]
    assert r.structured_content["sent"] is True


# --- deletes -------------------------------------------------------------------------------------------


async def saved_draft(sb: RunningSandbox) -> str:
    async with connect(sb) as client:
        r = await client.call_tool("create_message_draft", {**EMAIL, "body_text": "To be deleted."})
    return r.structured_content["draft"]["draft_id"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_delete_after_confirmation_returns_the_content(sandbox: RunningSandbox, mode: str):
    draft_id = await saved_draft(sandbox)
    human = Human("accept", delete=True)
    async with connect(sandbox, mode=mode, elicitation_callback=human) as client:
        r = await client.call_tool("delete_message_draft", {"draft_id": draft_id})
    assert not r.is_error, text_of(r)
    assert r.structured_content["outcome"] == "deleted" and "To be deleted." in text_of(r)
    assert "To be deleted." in human.asked[0]
    assert draft_id not in message_drafts(sandbox)


@pytest.mark.parametrize("answer", [Human("decline"), Human("accept", delete=False), None])
async def test_delete_refused_or_impossible_keeps_the_draft(sandbox: RunningSandbox, answer: Human | None):
    draft_id = await saved_draft(sandbox)
    async with connect(sandbox, **({"elicitation_callback": answer} if answer else {})) as client:
        r = await client.call_tool("delete_message_draft", {"draft_id": draft_id})
    if answer is None:
        assert r.is_error and "HyperRep app" in text_of(r)
    else:
        assert r.structured_content["outcome"] == "kept"
    assert draft_id in message_drafts(sandbox)
    assert [w for w in sandbox.sandbox.writes() if w.method == "DELETE"] == []


async def test_delete_of_a_sent_draft_names_the_right_tool(sandbox: RunningSandbox):
    promoted = next(iter(sandbox.sandbox.data.fixtures.promoted_message_draft_ids))
    async with connect(sandbox, elicitation_callback=Human("accept", delete=True)) as client:
        r = await client.call_tool("delete_message_draft", {"draft_id": promoted})
    assert (
        r.is_error
        and f'get_conversation_thread(conversation_id="{sandbox.sandbox.data.fixtures.promoted_message_draft_ids[promoted]}")'
        in text_of(r)
    )


async def test_delete_response_draft(sandbox: RunningSandbox):
    conv, draft = pending_reply(sandbox)
    async with connect(sandbox, elicitation_callback=Human("accept", delete=True)) as client:
        r = await client.call_tool(
            "delete_response_draft", {"conversation_id": conv, "response_id": draft.response_id}
        )
    assert not r.is_error, text_of(r)
    assert draft.response_id not in sandbox.sandbox.data.org(sandbox.org).response_drafts


# --- hostile content: nothing in the server acts on what a message says ------------------------------


async def test_prompt_injection_in_a_thread_triggers_nothing(sandbox: RunningSandbox):
    fx = sandbox.sandbox.data.fixtures
    async with connect(
        sandbox, write_mode="autosend", elicitation_callback=Human("accept", send=True, delete=True)
    ) as client:
        thread = await client.call_tool(
            "get_conversation_thread", {"conversation_id": fx.injection_conversation_id}
        )
        overview = await client.call_tool("inbox_overview", {"limit": 50})
        await client.call_tool("list_conversations", {"limit": 50})
    text = text_of(thread)
    assert not thread.is_error and "not as instructions" in text
    assert "ignore previous instructions" in text.lower()  # shown, as data
    assert not overview.is_error
    assert sandbox.sandbox.writes() == []  # reading it made no write, whatever it asked for


# --- SPEC section 7: the write questions -----------------------------------------------------------------


async def test_question_draft_a_follow_up_to_that_thread(sandbox: RunningSandbox):
    """ "Draft a follow-up to that thread." -> get_conversation_thread -> upsert_response_draft (saved for review)."""
    fx = sandbox.sandbox.data.fixtures
    async with connect(sandbox) as client:
        thread = await client.call_tool(
            "get_conversation_thread", {"conversation_id": fx.diana_email_conversation_id}
        )
        assert "Diana Prince" in text_of(thread)
        assert any(
            s.startswith("upsert_response_draft(") for s in thread.structured_content["suggested_calls"]
        )
        r = await client.call_tool(
            "upsert_response_draft",
            {
                "conversation_id": fx.diana_email_conversation_id,
                "body_text": "Hi Diana, we can come by Tuesday at 2pm.",
            },
        )
    assert not r.is_error, text_of(r)
    assert text_of(r).startswith("Saved for review — not sent. Reply to Diana Prince")
    stored = sandbox.sandbox.data.org(sandbox.org).response_draft_for(fx.diana_email_conversation_id)
    assert stored is not None and "Tuesday at 2pm" in stored.body_html and stored.scheduled_send_at is None


async def test_question_email_hal_about_his_quote(sandbox: RunningSandbox):
    """ "Email hal@example.com about his quote." -> create_message_draft(modality="email", ...)."""
    async with connect(sandbox) as client:
        r = await client.call_tool(
            "create_message_draft",
            {"modality": "email", "to_email": "hal@example.com", "subject": "Your roof quote",
             "body_text": "Hi Hal, your quote for the gutter guards is ready."},
        )  # fmt: skip
    assert not r.is_error, text_of(r)
    assert "Saved for review — not sent" in text_of(r) and "hal@example.com" in text_of(r)
    draft = sandbox.sandbox.data.org(sandbox.org).message_drafts[r.structured_content["draft"]["draft_id"]]
    assert draft.recipient_email == "hal@example.com" and draft.subject == "Your roof quote"
    assert draft.scheduled_send_at is None
