"""search_messages: its EXAMPLE's full text on the pinned sandbox (see snapshot.py)."""

from datetime import UTC, datetime

from hyperrep_mcp.render.records import FRAMING
from hyperrep_mcp.render.views import OrgRef
from hyperrep_mcp.server.tools import search_messages
from hyperrep_mcp.server.tools.index_common import IndexCoverage, decode_cursor
from hyperrep_mcp.server.tools.periods import DateWindow
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(search_messages)


def _found(hits: int, *, total: int, offset: int = 0, complete: bool = True) -> search_messages.SearchFound:
    return search_messages.SearchFound(
        organization=OrgRef(organization_id="HR_id_org", name="Summit"),
        query="insurance OR adjuster",
        window=DateWindow(
            datetime(2026, 10, 19, 15, 30, tzinfo=UTC), datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
        ),
        filters=["inbound only"],
        coverage=IndexCoverage(
            summary="index covers activity since 2026-10-19 15:30Z",
            reach_days=90,
            conversations=9,
            messages=40,
            complete=complete,
        ),
        hits=[
            search_messages.MessageHit(
                message_id=f"HR_id_m{i}",
                conversation_id=f"HR_id_c{i}",
                customer_name=f"Customer {i}",
                channel="email",
                direction="inbound",
                sent_at=f"2026-11-{18 - i % 10:02d}T09:00:00Z",
                subject="Hail damage",
                snippet="The [adjuster] comes on Tuesday " * 4,
            )
            for i in range(hits)
        ],
        total=total,
        offset=offset,
        fingerprint="abc123",
        available=list,
    )


def test_the_whole_result_is_a_pure_function_of_what_was_found():
    """No sandbox: at a 2,000-character budget whole hits are cut, the header counts only the shown
    ones, the cursor continues right after the last one shown, and text and structure agree."""
    result = search_messages.shown(_found(20, total=57, offset=25), budget=2000)
    text = result.content[0].text
    shown_hits = result.structured_content["messages"]
    assert len(text) <= 2000 and 0 < len(shown_hits) < 20
    assert text.splitlines()[:3] == [
        f"Messages in Summit matching insurance OR adjuster — {len(shown_hits)} shown of 57, newest first "
        "(2026-10-19 15:30Z → 2026-11-18 15:30Z; inbound only)",
        "index covers activity since 2026-10-19 15:30Z",
        FRAMING,
    ]
    assert text.splitlines()[3:6] == [
        '- 2026-11-18 09:00Z · Customer 0 · email · from customer · "Hail damage"',
        "    " + "The [adjuster] comes on Tuesday " * 3 + "The [adjuster] comes on Tuesday",
        "    conversation_id=HR_id_c0",
    ]
    assert text.count("conversation_id=HR_id_c") == len(shown_hits)
    nxt = result.structured_content["next_cursor"]
    assert decode_cursor(nxt, "abc123").offset == 25 + len(shown_hits)
    assert f'next cursor: {nxt} (more: search_messages(..., cursor="{nxt}") with the same query)' in text
    assert text.endswith('Next: get_conversation_thread(conversation_id="HR_id_c0")')


def test_the_last_page_has_no_cursor_and_an_empty_one_says_why():
    last = search_messages.shown(_found(2, total=27, offset=25), budget=20_000)
    assert "next cursor" not in last.content[0].text and "next_cursor" not in last.structured_content
    past_the_end = search_messages.shown(_found(0, total=27, offset=27), budget=20_000).content[0].text
    assert past_the_end.endswith("No more matches.")
    still_reading = search_messages.shown(_found(0, total=0, complete=False), budget=20_000).content[0].text
    assert "it is still reading the inbox" in still_reading
    none = search_messages.shown(_found(0, total=0), budget=20_000).content[0].text
    assert none.endswith(
        "No messages match. Try fewer words, a prefix (adjust*), OR between alternatives, or a longer period."
    )
