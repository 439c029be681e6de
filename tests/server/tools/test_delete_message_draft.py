"""delete_message_draft: its EXAMPLE's full text on the pinned sandbox, the person saying yes (see snapshot.py)."""

from hyperrep_mcp.render.views import MessageDraftView, OrgRef
from hyperrep_mcp.render.writes import MessageDraftWriteOut
from hyperrep_mcp.server.results import json_size
from hyperrep_mcp.server.tools import delete_message_draft
from hyperrep_mcp.server.tools.draft_deletion import whole_body
from hyperrep_mcp.server.tools.write_common import shown
from tests.server.test_writes import Human
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(
    delete_message_draft, client_options={"elicitation_callback": Human(delete=True)}, write_mode="drafts"
)


def test_the_whole_result_is_a_pure_function_of_the_write_and_fits_the_budget():
    """No sandbox: a deleted draft's result is `shown(record, budget=...)` like a read tool's; its
    body is cut on a line with a note saying how much was left out, and the structured output
    stays within the same budget as the text."""
    body = "\n".join(
        f"Line {i}: the gutters on the north side need replacing before winter." for i in range(300)
    )
    out = MessageDraftWriteOut(
        organization=OrgRef(organization_id="HR_id_org", name="Summit"),
        outcome="deleted",
        sent=False,
        summary="Deleted this message draft (its full content is below, in case it is needed again).",
        draft=MessageDraftView(draft_id="HR_id_d1", status="saved", modality="email", recipient_name="Hal"),
    )
    budget = 4000
    result = shown(whole_body(out, body, budget), budget=budget)
    text = result.content[0].text
    assert len(text) <= budget
    assert text.startswith("Deleted this message draft") and "Line 0: the gutters" in text
    assert "more characters of this draft were left out" in text
    assert json_size(result.structured_content) <= budget
    assert result.structured_content["outcome"] == "deleted"
