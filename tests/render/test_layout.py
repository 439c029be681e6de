"""`fit()` keeps every result inside the output budget without a silent cut, and the small helpers
that every text result shares (suggested calls, field joining, timestamps)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hyperrep_mcp.render.layout import (
    CUT_NOTE,
    ITEM_CUT,
    call,
    fit,
    iso_z,
    join_fields,
    next_steps,
    when,
    window_text,
)


def cursor_footer(items: list[str]):
    """A listing footer whose cursor points right after the last kept item, like the tools' footers."""

    def footer(kept: int) -> list[str]:
        return [f"next cursor: after-{kept}"] if kept < len(items) else []

    return footer


def test_everything_fits_unchanged():
    items = ["- one", "- two", "- three"]
    text, kept = fit("Header", items, lambda k: ["Next: x()"], 1000)
    assert kept == 3
    assert text == "Header\n- one\n- two\n- three\nNext: x()"


def test_footer_is_built_for_the_kept_count():
    items = [f"- item {i:02d} " + "x" * 50 for i in range(20)]
    text, kept = fit("Header", items, lambda kept: [f"kept={kept}"], 400)
    assert 1 < kept < len(items)
    assert text.endswith(f"kept={kept}")
    assert text.count("- item ") == kept


@pytest.mark.parametrize("budget", [200, 333, 500, 900, 1300])
def test_cut_listing_drops_from_the_end_says_so_and_keeps_the_cursor(budget: int):
    items = [f"- item {i:02d} " + "x" * (10 + 7 * (i % 5)) for i in range(40)]
    text, kept = fit("Header line", items, cursor_footer(items), budget)
    assert len(text) <= budget
    assert 1 <= kept < len(items)
    lines = text.splitlines()
    assert lines[0] == "Header line"
    # The kept items are exactly the first `kept`, in order, whole.
    assert lines[1 : 1 + kept] == items[:kept]
    assert CUT_NOTE.format(n=len(items) - kept) in text
    assert text.endswith(f"next cursor: after-{kept}")


@pytest.mark.parametrize("budget", [150, 260, 420, 777])
def test_kept_is_the_largest_count_that_fits(budget: int):
    items = [f"- item {i:02d} " + "y" * (5 + 11 * (i % 4)) for i in range(30)]
    text, kept = fit("Header", items, cursor_footer(items), budget)
    assert len(text) <= budget
    # One more item would not have fitted (with its own note and footer).
    bigger = "\n".join(
        [
            "Header",
            *items[: kept + 1],
            CUT_NOTE.format(n=len(items) - kept - 1),
            f"next cursor: after-{kept + 1}",
        ]
    )
    assert len(bigger) > budget


def test_custom_cut_note_for_results_without_a_cursor():
    items = ["- " + "z" * 60 for _ in range(10)]
    text, kept = fit("Header", items, lambda k: [], 250, cut_note="({n} more: call other_tool())")
    assert f"({len(items) - kept} more: call other_tool())" in text
    assert "cursor" not in text


def test_one_huge_item_is_shortened_and_the_footer_survives():
    huge = "[1] message\n" + "\n".join(f"    line {i:03d} of a very long body" for i in range(400))
    items = [huge, "- second"]
    text, kept = fit("Header", items, cursor_footer(items), 2000)
    assert kept == 1
    assert len(text) <= 2000
    assert ITEM_CUT.strip() in text
    assert text.endswith("next cursor: after-1")
    assert CUT_NOTE.format(n=1) in text
    assert text.startswith("Header\n[1] message\n    line 000")


def test_single_item_that_is_the_only_one_is_shortened_too():
    text, kept = fit("Header", ["x" * 5000], lambda k: ["Next: get_thing()"], 1000)
    assert kept == 1
    assert len(text) <= 1000
    assert text.endswith("Next: get_thing()")


def test_header_and_footer_larger_than_budget_are_clipped_hard():
    text, _kept = fit("H" * 500, ["- a"], lambda k: ["F" * 500], 300)
    assert len(text) == 300
    assert text.endswith("…")


def test_no_items():
    text, kept = fit("Header", [], lambda k: ["No contacts found."], 100)
    assert (text, kept) == ("Header\nNo contacts found.", 0)


def test_trailing_whitespace_trimmed():
    text, _ = fit("Header", ["- a"], lambda k: [""], 100)
    assert text == "Header\n- a"


def test_call_quotes_strings_skips_none_and_keeps_ids_whole():
    long_id = "gAAAAABl" + "x" * 112 + "="
    assert call("get_contact", contact_id=long_id) == f'get_contact(contact_id="{long_id}")'
    assert call("inbox_overview", organization_id=None) == "inbox_overview()"
    assert (
        call("upsert_response_draft", conversation_id="c1", replace_existing=True)
        == 'upsert_response_draft(conversation_id="c1", replace_existing=True)'
    )
    assert call("list_contacts", limit=5) == "list_contacts(limit=5)"


def test_next_steps_at_most_three_and_none_when_empty():
    assert next_steps([]) == []
    assert next_steps(["", "a()"]) == ["Next: a()"]
    assert next_steps(["a()", "b()", "c()", "d()"]) == ["Next: a() · b() · c()"]


def test_join_fields_drops_empty():
    assert join_fields("a", None, "", "b") == "a · b"
    assert join_fields(None) == ""


def test_timestamps():
    moment = datetime(2026, 11, 23, 14, 2, 59, tzinfo=UTC)
    assert when(moment) == "2026-11-23 14:02Z"
    assert when(None) is None
    assert iso_z(moment) == "2026-11-23T14:02:59Z"
    assert iso_z(None) is None


def test_when_reads_an_instant_in_the_zone_with_its_offset():
    chicago = ZoneInfo("America/Chicago")
    # UTC: the text every snapshot holds, whatever precision or offset the API string came with.
    assert when("2026-11-18T15:21:59.999Z") == "2026-11-18 15:21Z"
    assert when("2026-11-18T17:21:00+02:00") == "2026-11-18 15:21Z"
    assert when("2026-11-18T15:21:00") == "2026-11-18 15:21Z"  # no offset: UTC
    assert when("not a time", chicago) == "not a time"
    assert when("2026-11-18T15:21:00Z", chicago) == "2026-11-18 09:21-06:00"  # CST
    assert when(datetime(2026, 10, 31, 15, 21, tzinfo=UTC), chicago) == "2026-10-31 10:21-05:00"  # CDT
    # 01:30 happens twice on 1 November (DST ends at 02:00 CDT): the offset tells the two apart.
    assert when(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), chicago) == "2026-11-01 01:30-05:00"
    assert when(datetime(2026, 11, 1, 7, 30, tzinfo=UTC), chicago) == "2026-11-01 01:30-06:00"
    kolkata = ZoneInfo("Asia/Kolkata")  # a half-hour offset keeps its minutes
    assert when("2026-11-18T15:21:00Z", kolkata) == "2026-11-18 20:51+05:30"
    # The text is a date argument the tools accept back: the same instant.
    text = when("2026-11-18T15:21:00Z", chicago) or ""
    assert datetime.fromisoformat(text) == datetime(2026, 11, 18, 15, 21, tzinfo=UTC)


def test_window_text_reads_whole_local_days_as_dates_and_names_the_zone():
    tick = timedelta(microseconds=1)
    chicago = ZoneInfo("America/Chicago")
    # October 2026 in Chicago (CDT, UTC-5): whole days, so dates only.
    october = datetime(2026, 10, 1, 5, tzinfo=UTC), datetime(2026, 11, 1, 5, tzinfo=UTC) - tick
    assert window_text(*october, chicago) == "2026-10-01 → 2026-10-31 (America/Chicago)"
    # The same instants in UTC are not whole days: to the minute, marked Z, no zone named.
    assert window_text(*october, UTC) == "2026-10-01 05:00Z → 2026-11-01 04:59Z"
    # An end at midnight is not the end of that day: it keeps its time.
    midnight = datetime(2026, 11, 18, tzinfo=UTC)
    assert window_text(midnight - timedelta(days=1), midnight, UTC) == "2026-11-17 → 2026-11-18 00:00Z"
    # A bound that is not a local day boundary keeps its time: a date would claim the whole day.
    assert window_text(midnight, None, chicago) == "2026-11-17 18:00 → now (America/Chicago)"
    assert window_text(None, midnight, UTC) == "… → 2026-11-18 00:00Z"
