"""get_response_draft: its EXAMPLE's full text on the pinned sandbox (see snapshot.py)."""

from hyperrep_mcp.render.views import OrgRef, ResponseDraftOut, ResponseDraftView
from hyperrep_mcp.server.tools import get_response_draft
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(get_response_draft)


def test_the_whole_result_is_a_pure_function_of_the_draft():
    """No sandbox: the header names the conversation, the draft follows whole, then the next calls;
    a budget too small for the body cuts it and says so, keeping the header and next calls."""
    out = ResponseDraftOut(
        organization=OrgRef(organization_id="HR_id_org", name="Summit"),
        draft=ResponseDraftView(
            response_id="HR_id_r1",
            conversation_id="HR_id_c1",
            status="saved",
            recipient_name="Sarah Kim",
            body_text="Hi Sarah,\n\n" + "We can come on Tuesday to look at the flashing. " * 40,
        ),
        suggested_calls=['get_conversation_thread(conversation_id="HR_id_c1")'],
    )
    whole = get_response_draft.shown(out, budget=20_000)
    lines = whole.content[0].text.splitlines()
    assert lines[0] == "Response draft in Summit, conversation_id=HR_id_c1"
    assert lines[1].startswith("Response draft (saved for review, not sent) · to Sarah Kim")
    assert lines[-1] == 'Next: get_conversation_thread(conversation_id="HR_id_c1")'
    assert whole.structured_content["draft"]["conversation_id"] == "HR_id_c1"
    cut = get_response_draft.shown(out, budget=800).content[0].text
    assert len(cut) <= 800 and "cut here to fit the output limit" in cut
    assert cut.startswith(lines[0]) and cut.endswith(lines[-1])
