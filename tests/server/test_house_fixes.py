"""Review findings on the split tools (issues 12/13 follow-up), each proven on the sandbox's data and log."""

from __future__ import annotations

import pytest

from tests.server.test_writes import EMAIL, Human, posted
from tests.support import RunningSandbox, connect, text_of

pytestmark = pytest.mark.anyio


def diana(sb: RunningSandbox) -> str:
    return sb.sandbox.data.fixtures.diana_email_conversation_id


# --- a send whose answer is lost is looked for, never posted again -----------------------------------


@pytest.mark.parametrize("then", ["status", "drop"])
async def test_a_reply_send_whose_answer_is_lost_is_not_posted_again(sandbox: RunningSandbox, then: str):
    params = {"then": "drop"} if then == "drop" else {}
    sandbox.sandbox.faults.script(
        "commit_then_fail", method="POST", path_contains="/response-drafts", **params
    )
    args = {
        "conversation_id": diana(sandbox),
        "body_text": "Booked for Tuesday at 2pm.",
        "autosend_draft": True,
    }
    async with connect(sandbox, write_mode="autosend", elicitation_callback=Human("accept", send=True)) as c:
        r = await c.call_tool("upsert_response_draft", args)
    [request] = posted(sandbox, "/response-drafts")  # the one send went out once, not retried
    assert request.json["autosend_draft"] is True
    assert not r.is_error, text_of(r)
    queued = [
        d
        for d in sandbox.sandbox.data.org(sandbox.org).response_drafts.values()
        if d.conversation_id == diana(sandbox) and d.body_html and "Tuesday at 2pm" in d.body_html
    ]
    assert len(queued) == 1 and queued[0].scheduled_send_at is not None
    out = r.structured_content
    assert out["sent"] is True and out["draft"]["response_id"] == queued[0].response_id
    assert any("did not confirm" in n for n in out["notes"]), out["notes"]


# --- an identical draft found upstream keeps its queued state ----------------------------------------


async def test_an_identical_queued_draft_found_upstream_reads_as_queued(sandbox: RunningSandbox):
    args = {**EMAIL, "body_text": "Your crew arrives at 9."}
    human = Human("accept", send=True)
    async with (
        connect(sandbox, write_mode="autosend", elicitation_callback=human) as one,
        connect(sandbox) as two,
    ):
        first = await one.call_tool("create_message_draft", {**args, "autosend_draft": True})
        twin = await two.call_tool("create_message_draft", args)  # another replica: found upstream
    assert not first.is_error and not twin.is_error, text_of(twin)
    [stored] = [
        d
        for d in sandbox.sandbox.data.org(sandbox.org).message_drafts.values()
        if d.body_html and "crew arrives at 9" in d.body_html
    ]
    assert stored.scheduled_send_at is not None  # ground truth: the twin is queued
    out = twin.structured_content
    assert out["outcome"] == "already_saved" and out["draft"]["draft_id"] == stored.draft_id
    assert out["sent"] is True and out["draft"]["status"] == "queued", text_of(twin)
    assert out["draft"]["scheduled_send_at"] is not None
    assert "delete_message_draft" not in text_of(twin)
    assert len(posted(sandbox, "/message-drafts")) == 1
