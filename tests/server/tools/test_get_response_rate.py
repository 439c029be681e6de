"""get_response_rate: its EXAMPLE's full text on the pinned sandbox (see snapshot.py), and the whole
result rendered from hand-built figures."""

from datetime import UTC, datetime

from hyperrep_mcp.render.views import OrgRef, RateFigures, Window
from hyperrep_mcp.server.tools import get_response_rate
from hyperrep_mcp.server.tools.periods import DateWindow
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(get_response_rate)


def test_the_whole_result_is_a_pure_function_of_the_figures():
    window = DateWindow(
        datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 18, 15, 30, tzinfo=UTC), "this_month"
    )
    span = Window(start_date="", end_date="")
    found = get_response_rate.Rates(
        organization=OrgRef(organization_id="HR_id_org", name="Summit"),
        window=window,
        current=RateFigures(window=span, received=10, responded=9, rate_percent=90.0),
        previous=RateFigures(window=span, received=0, responded=0),
        suggestions=["inbox_overview()"],
    )
    result = get_response_rate.shown(found, budget=10_000)
    assert result.content[0].text.splitlines() == [
        "Response rate in Summit, 2026-11-01 → 2026-11-18 15:30Z: 90% (9 of 10 conversations received were answered)",
        "Previous window, 2026-10-01 → 2026-10-31: no conversations received, so no rate",
        "Next: inbox_overview()",
    ]
    assert "change_points" not in result.structured_content  # nothing to compare with
