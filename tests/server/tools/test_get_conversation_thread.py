"""get_conversation_thread: its EXAMPLE's full text on the pinned sandbox (see snapshot.py)."""

from hyperrep_mcp.render.views import ConversationView, MessageView, OrgRef, ResponseDraftView
from hyperrep_mcp.server.tools import get_conversation_thread
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(get_conversation_thread)


def thread(n: int, *, draft: bool, customer_last: bool) -> get_conversation_thread.Thread:
    messages = [
        MessageView(
            message_id=f"HR_id_m{i}",
            direction="inbound" if i % 2 == 0 else "outbound",
            sender="Diana Prince" if i % 2 == 0 else "Frank",
            sent_at=f"2026-11-1{i % 9}T10:00:00Z",
            text="About the leak over the garage. " * 20,
        )
        for i in range(n)
    ]
    return get_conversation_thread.Thread(
        organization=OrgRef(organization_id="HR_id_org", name="Summit"),
        conversation=ConversationView(conversation_id="HR_id_conv", modality="email", folder="inbox"),
        contact=None,
        who="Diana Prince · diana@example.com",
        messages=messages,
        continued=False,
        customer_wrote_last=customer_last,
        draft=ResponseDraftView(
            response_id="HR_id_r", conversation_id="HR_id_conv", status="saved", body_text="Hi"
        )
        if draft
        else None,
        draft_unknown=False,
        next_cursor=lambda shown: f"c{shown}" if 0 < shown < n else None,
        suggestions=['upsert_response_draft(conversation_id="HR_id_conv")'],
    )


def test_the_whole_result_is_a_pure_function_of_the_thread():
    """No sandbox: a long thread is cut to whole messages with the cursor after the last one shown,
    the pending draft and the suggestions always stay, and an answered thread says nothing is owed."""
    result = get_conversation_thread.shown(thread(12, draft=True, customer_last=True), budget=2000)
    text = result.content[0].text
    kept = len(result.structured_content["messages"])
    assert len(text) <= 2000 and 0 < kept < 12
    assert text.startswith(
        "Conversation in Summit with Diana Prince · diana@example.com\nemail · folder inbox"
    )
    assert f'cursor="c{kept}")' in text and result.structured_content["next_cursor"] == f"c{kept}"
    assert "Response draft" in text and "awaiting our reply" not in text  # a draft is pending
    assert text.endswith('Next: upsert_response_draft(conversation_id="HR_id_conv")')

    whole = (
        get_conversation_thread.shown(thread(2, draft=False, customer_last=True), budget=24000)
        .content[0]
        .text
    )
    assert "[2]" in whole and "More messages" not in whole
    assert "The last message is from the customer: awaiting our reply." in whole
    answered = get_conversation_thread.shown(thread(2, draft=False, customer_last=False), budget=24000)
    assert "awaiting our reply" not in answered.content[0].text
