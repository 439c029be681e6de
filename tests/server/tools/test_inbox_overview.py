"""inbox_overview: its EXAMPLE's full text on the pinned sandbox (see snapshot.py)."""

from datetime import UTC, datetime

from hyperrep_mcp import index
from hyperrep_mcp.render.views import AwaitingItem, OrgRef
from hyperrep_mcp.server.tools import inbox_overview
from hyperrep_mcp.server.tools.periods import DateWindow
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(inbox_overview)


def test_the_whole_result_is_a_pure_function_of_what_was_found():
    """No sandbox: at a 2,000-character budget whole lines are cut, the header counts only the
    listed ones, the note names the exact call for the rest, and text and structure agree."""
    window = DateWindow(
        datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 18, 15, 30, tzinfo=UTC), "this_week"
    )
    awaiting = [
        AwaitingItem(
            conversation_id=f"HR_id_c{i}",
            contact_name=f"Customer {i}",
            modality="email",
            gist="The leak came back during last night's rain " * 2,
            waited=f"{i} h",
            has_pending_draft=i == 0,
        )
        for i in range(30)
    ]
    tally = index.InboxCounts(
        total=120,
        unread=7,
        unread_by_channel={"email": 4, "text": 3},
        by_folder={"inbox": 100, "primary": 20},
        by_channel={"email": 80, "text": 40},
        awaiting=45,
        awaiting_by_channel={"email": 30, "text": 15},
    )
    found = inbox_overview.Overview(
        organization=OrgRef(organization_id="HR_id_org", name="Summit"),
        window=window,
        sort="longest_waiting",
        tally=tally,
        awaiting=awaiting,
        awaiting_total=45,
        coverage="index covers activity since 2026-11-16 00:00Z",
        coverage_complete=True,
        rate=None,
        drafts=(3, True),
        suggestions=['get_conversation_thread(conversation_id="HR_id_c1")'],
    )
    result = inbox_overview.shown(found, budget=2000)
    text = result.content[0].text
    listed = result.structured_content["awaiting_reply"]
    assert len(text) <= 2000 and 0 < len(listed) < 30
    assert text.splitlines()[:3] == [
        "Inbox overview — Summit, 2026-11-16 → 2026-11-18 15:30Z",
        "120 conversations active · 7 unread (email 4, text 3) · 45 awaiting our reply · folders: inbox 100, primary 20",
        "Response rate: unavailable right now.",
    ]
    assert "Message drafts awaiting review: 3+" in text
    assert f"— {len(listed)} of 45 shown, longest wait first:" in text
    assert text.count("conversation_id=HR_id_c") == len(listed)
    assert f"(output limit reached: {30 - len(listed)} more awaiting our reply are not shown)" in text
    assert (
        '15 more await our reply: list_conversations(awaiting_reply=True, sort="longest_waiting", period="this_week")'
        in text
    )
    assert "reply draft pending review" in text.splitlines()[7]
    assert text.endswith('Next: get_conversation_thread(conversation_id="HR_id_c1")')
