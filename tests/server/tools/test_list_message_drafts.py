"""list_message_drafts: its EXAMPLE's full text on the pinned sandbox (see snapshot.py)."""

from hyperrep_mcp.render.views import MessageDraftView, OrgRef
from hyperrep_mcp.server.tools import list_message_drafts
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(list_message_drafts)


def test_the_whole_result_is_a_pure_function_of_the_views():
    """No sandbox: a small budget cuts whole drafts, the header counts only what is shown, and the
    cursor and the structured drafts stop after the same draft."""
    views = [
        MessageDraftView(
            draft_id=f"HR_id_{i}",
            status="saved" if i % 2 else "queued",
            modality="email",
            recipient_name=f"Customer {i}",
            subject="Your estimate",
            body_text="Hello " * 80,
        )
        for i in range(40)
    ]
    cursors = {kept: f"c{kept}" for kept in range(1, 41)}
    org = OrgRef(organization_id="HR_id_org", name="Summit")
    found = list_message_drafts.MessageDrafts(
        organization=org,
        drafts=views,
        next_cursor=cursors.get,
        suggested=["get_message_draft()"],
        with_body=True,
    )
    result = list_message_drafts.shown(found, budget=2000)
    text = result.content[0].text
    kept = len(result.structured_content["drafts"])
    assert len(text) <= 2000 and 0 < kept < 40
    saved = sum(v.status == "saved" for v in views[:kept])
    assert text.splitlines()[0] == (
        f"Message drafts in Summit — {kept} shown ({saved} saved for review · {kept - saved} queued to send)"
    )
    assert text.count("draft_id=") == kept and f"draft_id=HR_id_{kept}" not in text
    assert f"next cursor: c{kept} " in text and result.structured_content["next_cursor"] == f"c{kept}"
    assert f"{40 - kept} more" in text
    assert text.endswith("Next: get_message_draft()")
