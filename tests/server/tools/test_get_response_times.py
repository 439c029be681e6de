"""get_response_times: its EXAMPLE's full text on the pinned sandbox (see snapshot.py)."""

from datetime import UTC, datetime

from hyperrep_mcp.render.views import OrgRef, Window
from hyperrep_mcp.server.tools import get_response_times
from hyperrep_mcp.server.tools.index_common import IndexCoverage
from hyperrep_mcp.server.tools.periods import DateWindow
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(get_response_times)


def _figures(median: float | None, unanswered: int = 0) -> get_response_times.FirstReplyFigures:
    return get_response_times.FirstReplyFigures(
        conversations=10,
        replied=10 - unanswered,
        unanswered=unanswered,
        median_minutes=median,
        mean_minutes=median,
        p90_minutes=median,
        oldest_unanswered_since="2026-11-16T15:30:00Z" if unanswered else None,
        oldest_unanswered_conversation_id="HR_id_c9" if unanswered else None,
    )


def test_the_whole_result_is_a_pure_function_of_the_figures():
    """No sandbox and no clock: how long the oldest has waited is counted from the record's `at`, a
    per-channel line shows only beside another channel, and the median's change reads in words."""
    window = DateWindow(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 18, 15, 30, tzinfo=UTC))
    span = Window(start_date="", end_date="")
    found = get_response_times.ResponseTimes(
        organization=OrgRef(organization_id="HR_id_org", name="Summit"),
        channel=None,
        window=window,
        current=get_response_times.ResponseTimesWindow(
            window=span,
            overall=_figures(90, unanswered=1),
            by_channel={"email": _figures(120, unanswered=1), "text": _figures(30)},
        ),
        previous=get_response_times.ResponseTimesWindow(
            window=span, overall=_figures(45), by_channel={"email": _figures(45)}
        ),
        coverage=IndexCoverage(
            summary="index covers it all", reach_days=90, conversations=20, messages=80, complete=True
        ),
        suggestions=["inbox_overview()"],
        at=datetime(2026, 11, 18, 15, 30, tzinfo=UTC),
    )
    result = get_response_times.shown(found, budget=10_000)
    oldest = "1 still unanswered (oldest since 2026-11-16 15:30Z, waiting 2.0 days, conversation_id=HR_id_c9)"
    assert result.content[0].text.splitlines() == [
        "Time to our first reply in Summit, 2026-11-01 → 2026-11-18 15:30Z:",
        "index covers it all",
        f"- overall: 9 of 10 answered; median 1.5 h, mean 1.5 h, 90% within 1.5 h; {oldest}",
        f"  - email: 9 of 10 answered; median 2.0 h, mean 2.0 h, 90% within 2.0 h; {oldest}",
        "  - text: 10 of 10 answered; median 30 min, mean 30 min, 90% within 30 min",
        "Previous period, 2026-10-14 08:30Z → 2026-11-01 00:00Z:",
        "- overall: 10 of 10 answered; median 45 min, mean 45 min, 90% within 45 min",
        "Median change: 45 min slower",
        "Next: inbox_overview()",
    ]
    assert result.structured_content["median_change_minutes"] == 45
