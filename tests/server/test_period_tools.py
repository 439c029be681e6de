"""`period` on the windowed tools, read in HYPERREP_TIMEZONE, through real MCP sessions against the
sandbox: the windows asked upstream are the calendar ones, and bad input is refused before any request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from mcp import Client

from hyperrep_mcp.sandbox import SandboxConfig, create_app
from hyperrep_mcp.sandbox.dataset import response_rate
from hyperrep_mcp.server.registry import by_name
from hyperrep_mcp.server.tools import ALL_TOOLS
from tests.server.tools.snapshot import PINNED, example_text
from tests.support import RunningSandbox, UvicornThread, connect, text_of

pytestmark = pytest.mark.anyio
ZONE = "America/New_York"
NY = ZoneInfo(ZONE)
WINDOWED = ["inbox_overview", "list_conversations", "get_response_rate", "list_sales"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    app = create_app(SandboxConfig())
    with UvicornThread(app) as server:
        yield RunningSandbox(server.url, app.state.sandbox)


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[Client]:
    async with connect(sandbox, timezone=ZONE) as c:
        yield c


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def ny_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=NY).astimezone(UTC)


async def test_this_month_against_the_whole_of_last_month(client: Client, sandbox: RunningSandbox):
    before = len(sandbox.sandbox.requests)
    result = await client.call_tool(
        "get_response_rate", {"period": "this_month", "compare_to_previous": True}
    )
    assert not result.is_error, text_of(result)
    cur, prev = result.structured_content["current"], result.structured_content["previous"]

    today = datetime.now(NY).date()
    first = today.replace(day=1)
    prev_first = (first - timedelta(days=1)).replace(day=1)
    assert parse(cur["window"]["start_date"]) == ny_midnight(first)
    assert abs(parse(cur["window"]["end_date"]) - datetime.now(UTC)) < timedelta(minutes=1)
    assert parse(prev["window"]["start_date"]) == ny_midnight(prev_first)
    assert parse(prev["window"]["end_date"]) == ny_midnight(first) - timedelta(microseconds=1)

    org = sandbox.sandbox.data.org(sandbox.org)
    for fig in (cur, prev):
        truth = response_rate(org, parse(fig["window"]["start_date"]), parse(fig["window"]["end_date"]))
        assert (fig["received"], fig["responded"]) == (
            truth["numConversationsReceived"],
            truth["numConversationsRespondedTo"],
        )
    asked = {
        (r.query["start_date"], r.query["end_date"])
        for r in sandbox.sandbox.requests[before:]
        if r.path.endswith("/response-rate")
    }
    assert asked == {(f["window"]["start_date"], f["window"]["end_date"]) for f in (cur, prev)}


async def test_list_conversations_yesterday_asks_for_the_local_day(client: Client, sandbox: RunningSandbox):
    before = len(sandbox.sandbox.requests)
    result = await client.call_tool("list_conversations", {"period": "yesterday", "limit": 5})
    assert not result.is_error, text_of(result)
    yesterday = datetime.now(NY).date() - timedelta(days=1)
    listing = [r for r in sandbox.sandbox.requests[before:] if r.path.endswith("/conversations")]
    assert listing
    assert {(parse(r.query["start_date"]), parse(r.query["end_date"])) for r in listing} == {
        (ny_midnight(yesterday), ny_midnight(yesterday + timedelta(days=1)) - timedelta(microseconds=1))
    }


async def test_bare_dates_are_read_in_the_zone(client: Client, sandbox: RunningSandbox):
    before = len(sandbox.sandbox.requests)
    result = await client.call_tool("list_sales", {"start_date": "2026-11-02", "end_date": "2026-11-02"})
    assert not result.is_error or "not available" in text_of(result), text_of(result)
    sales = [r for r in sandbox.sandbox.requests[before:] if r.path.endswith("/sales")]
    assert sales
    assert parse(sales[0].query["start_date"]) == datetime(2026, 11, 2, 5, tzinfo=UTC)  # EST: UTC-5
    assert parse(sales[0].query["end_date"]) == datetime(2026, 11, 3, 4, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize("tool", WINDOWED)
@pytest.mark.parametrize(
    ("args", "says"),
    [
        ({"period": "fortnight"}, "period"),
        ({"period": "this_month", "start_date": "2026-11-01"}, "period='this_month' cannot be combined"),
        ({"period": "last_week", "end_date": "2026-11-01"}, "period='last_week' cannot be combined"),
    ],
)
async def test_bad_periods_are_refused_before_any_request(
    client: Client, sandbox: RunningSandbox, tool: str, args: dict[str, Any], says: str
):
    await client.call_tool("list_organizations", {})  # the organization is known: nothing else is needed
    before = len(sandbox.sandbox.requests)
    result = await client.call_tool(tool, args)
    assert result.is_error
    assert says in text_of(result), text_of(result)
    assert "Traceback" not in text_of(result)
    assert sandbox.sandbox.requests[before:] == []


async def test_index_tools_read_periods_in_the_zone(client: Client):
    """search_messages and get_response_times (answered from the inbox index) read periods as the
    other windowed tools do: calendar days and months in HYPERREP_TIMEZONE, not in UTC."""
    today = datetime.now(NY).date()
    first = today.replace(day=1)
    prev_first = (first - timedelta(days=1)).replace(day=1)

    times = await client.call_tool(
        "get_response_times", {"period": "last_month", "compare_to_previous": True}
    )
    assert not times.is_error, text_of(times)
    cur, prev = times.structured_content["current"]["window"], times.structured_content["previous"]["window"]
    assert parse(cur["start_date"]) == ny_midnight(prev_first)
    assert parse(cur["end_date"]) == ny_midnight(first) - timedelta(microseconds=1)
    assert parse(prev["end_date"]) == ny_midnight(prev_first) - timedelta(microseconds=1)
    assert parse(prev["start_date"]) == ny_midnight((prev_first - timedelta(days=1)).replace(day=1))

    found = await client.call_tool("search_messages", {"query": "roof", "period": "yesterday"})
    assert not found.is_error, text_of(found)
    window = found.structured_content["window"]
    yesterday = today - timedelta(days=1)
    assert parse(window["start_date"]) == ny_midnight(yesterday)
    assert parse(window["end_date"]) == ny_midnight(today) - timedelta(microseconds=1)


# --- window headers read in the zone, on a sandbox and a server pinned to one instant --------------

CHICAGO = ZoneInfo("America/Chicago")
# At PINNED (2026-11-18 15:30Z) it is Wednesday 09:30 in Chicago (CST, UTC-6, since DST ended on
# 1 November); October was CDT (UTC-5). The headers below follow from that calendar alone.
LOCAL_NOW = "2026-11-18 09:30"
ROLLING_30_START = f"{(PINNED - timedelta(days=30)).astimezone(CHICAGO):%Y-%m-%d %H:%M}"  # CDT: 10:30
HEADERS = {
    "inbox_overview": [f"2026-11-16 → {LOCAL_NOW} (America/Chicago)"],  # this_week, Monday on, to now
    "list_conversations": ["active 2026-11-16 → 2026-11-22 (America/Chicago)"],  # this_week, whole
    "get_response_rate": [  # this_month, to now, against the whole of October
        f"2026-11-01 → {LOCAL_NOW} (America/Chicago):",
        "Previous window, 2026-10-01 → 2026-10-31 (America/Chicago):",
    ],
    "get_response_times": [
        f"2026-11-01 → {LOCAL_NOW} (America/Chicago):",
        "Previous period, 2026-10-01 → 2026-10-31 (America/Chicago):",
    ],
    "search_messages": [
        f"({ROLLING_30_START} → {LOCAL_NOW} (America/Chicago); inbound only)"
    ],  # last_30_days
    "list_sales": ["(2026-10-01 → 2026-10-31 (America/Chicago))"],  # last_month
}


@pytest.mark.parametrize("tool", sorted(HEADERS))
async def test_window_headers_read_in_the_zone(sandbox_factory, tool: str):
    """The operator in Chicago reads each windowed tool's EXAMPLE window in Chicago time with the zone
    named, while structuredContent keeps the UTC instants (the snapshots pin the UTC rendering)."""
    sb = sandbox_factory(now=PINNED)
    text, result = await example_text(sb, by_name(ALL_TOOLS)[tool], timezone="America/Chicago")
    assert not result.is_error, text
    header = text.split("\n")[: 4 if tool == "get_response_times" else 2]
    for expected in HEADERS[tool]:
        assert expected in "\n".join(header), (expected, header)
    assert "Z →" not in text and "Z)" not in header[0]  # no UTC window left beside the local one
    window = result.structured_content.get("window") or (result.structured_content.get("current") or {}).get(
        "window"
    )
    if tool == "get_response_rate":  # 1 November 00:00 CDT, still UTC-5 until 02:00
        assert window == {"start_date": "2026-11-01T05:00:00Z", "end_date": "2026-11-18T15:30:00Z"}


async def test_the_api_and_the_index_tools_cover_the_same_windows(client: Client, sandbox: RunningSandbox):
    """One resolver: the same explicit dates, ending in the future, give get_response_rate (the API's
    analytics) and get_response_times (the index) the same window, cut at now, and the same previous
    window; a start in the future is refused by both, and by search_messages, before any request."""
    today = datetime.now(NY).date()
    args = {
        "start_date": (today - timedelta(days=3)).isoformat(),
        "end_date": (today + timedelta(days=10)).isoformat(),
        "compare_to_previous": True,
    }
    rate = await client.call_tool("get_response_rate", args)
    times = await client.call_tool("get_response_times", args)
    assert not rate.is_error and not times.is_error, (text_of(rate), text_of(times))
    for part in ("current", "previous"):
        assert rate.structured_content[part]["window"] == times.structured_content[part]["window"]
    current = times.structured_content["current"]["window"]
    assert parse(current["start_date"]) == ny_midnight(today - timedelta(days=3))
    assert parse(current["end_date"]) <= datetime.now(UTC)

    future = {"start_date": (today + timedelta(days=2)).isoformat()}
    before = len(sandbox.sandbox.requests)
    for tool, extra in (
        ("get_response_rate", {}),
        ("get_response_times", {}),
        ("search_messages", {"query": "roof"}),
    ):
        refused = await client.call_tool(tool, {**future, **extra})
        assert refused.is_error and "is in the future" in text_of(refused), (tool, text_of(refused))
    assert sandbox.sandbox.requests[before:] == []


async def test_listing_headers_keep_the_time_of_explicit_bounds(sandbox: RunningSandbox):
    """A bound given with a time is not a whole day: 'active 2026-11-17 → 2026-11-17' for 09:00-21:00
    would claim the morning and night the listing left out, and an end at midnight read as a date
    would claim the day after it. The local times follow from the calendar (CST, UTC-6)."""
    async with connect(sandbox, timezone="America/Chicago") as c:
        convs = await c.call_tool(
            "list_conversations",
            {"start_date": "2026-11-17T15:00:00Z", "end_date": "2026-11-18T03:00:00Z", "limit": 1},
        )
        sales = await c.call_tool(
            "list_sales", {"start_date": "2026-11-10", "end_date": "2026-11-19T00:00:00-06:00", "limit": 1}
        )
    assert "active 2026-11-17 09:00 → 2026-11-17 21:00 (America/Chicago)" in text_of(convs).split("\n")[0]
    assert "(2026-11-10 → 2026-11-19 00:00 (America/Chicago))" in text_of(sales).split("\n")[0]


async def test_an_end_date_alone_covers_whole_local_days_before_it(sandbox_factory):
    """Only end_date: the default span is whole days in the zone, ending with that day. Taken as
    N*24 hours back from the day's last instant, it began a hair before midnight ('2026-11-10 23:59')
    and, across the end of daylight saving time on 1 November, at 00:59 on 19 October, leaving out
    that day's first hour. Ground truth: the Chicago calendar (CDT UTC-5 until 1 November, then CST)."""
    from hyperrep_mcp.server.app import build_server
    from tests.support import settings_for

    sb = sandbox_factory(now=PINNED)
    server = build_server(
        settings_for(sb, timezone="America/Chicago"), default_organization_id=sb.org, clock=lambda: PINNED
    )
    async with Client(server) as c:
        rate = await c.call_tool("get_response_rate", {"end_date": "2026-11-17"})
        times = await c.call_tool("get_response_times", {"end_date": "2026-11-17"})
        overview = await c.call_tool("inbox_overview", {"end_date": "2026-11-17", "limit": 1})
    for result in (rate, times, overview):
        assert not result.is_error, text_of(result)
    assert "2026-10-19 → 2026-11-17 (America/Chicago)" in text_of(rate).split("\n")[0]
    assert rate.structured_content["current"]["window"]["start_date"] == "2026-10-19T05:00:00Z"
    assert "2026-10-19 → 2026-11-17 (America/Chicago)" in text_of(times).split("\n")[0]
    assert "2026-11-11 → 2026-11-17 (America/Chicago)" in text_of(overview).split("\n")[0]
