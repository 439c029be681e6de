"""`walk()`: collecting items across API pages, with a cursor that continues exactly after the last
item shown, even in the middle of a page. Pure logic over pages, so a tiny fake listing suffices."""

from __future__ import annotations

import pytest

from hyperrep_mcp.api.models import Page, Pagination, Record
from hyperrep_mcp.server import cursor as cursors
from hyperrep_mcp.server.cursor import InvalidToolCursor
from hyperrep_mcp.server.tools.common import walk

pytestmark = pytest.mark.anyio


class Item(Record):
    n: int


class FakeListing:
    """An offset-cursor listing over 0..total-1, like the API: cursors are opaque strings."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.requests: list[tuple[str | None, int]] = []

    async def fetch(self, api_cursor: str | None, size: int) -> Page[Item]:
        self.requests.append((api_cursor, size))
        start = int(api_cursor.removeprefix("off")) if api_cursor else 0
        end = min(start + size, self.total)
        more = end < self.total
        return Page[Item](
            data=[Item(n=i) for i in range(start, end)],
            pagination=Pagination(limit=size, next_cursor=f"off{end}" if more else None, has_more=more),
        )


async def drain(
    listing: FakeListing, *, limit: int, page_size: int, shown: int | None = None, **kw
) -> list[int]:
    """Walk to the end, showing `shown` (default: all) of each call's items, as a budget cut would."""
    seen: list[int] = []
    cursor = None
    for _ in range(1000):
        out = await walk(listing.fetch, cursor, limit=limit, page_size=page_size, **kw)
        take = len(out.items) if shown is None else min(shown, len(out.items))
        seen += [i.n for i in out.items[:take]]
        cursor = out.next_cursor(take)
        if cursor is None:
            return seen
    raise AssertionError("walk never ended")


@pytest.mark.parametrize(
    ("total", "limit", "page_size"), [(0, 5, 5), (7, 5, 5), (10, 5, 5), (23, 4, 10), (5, 100, 100)]
)
async def test_walk_to_the_end_visits_every_item_once_in_order(total: int, limit: int, page_size: int):
    assert await drain(FakeListing(total), limit=limit, page_size=page_size) == list(range(total))


@pytest.mark.parametrize("shown", [1, 2, 3])
async def test_mid_page_cut_continues_exactly_after_the_last_item_shown(shown: int):
    listing = FakeListing(17)
    assert await drain(listing, limit=5, page_size=5, shown=shown) == list(range(17))


async def test_mid_page_cursor_is_ours_and_page_boundary_cursor_is_the_apis():
    listing = FakeListing(12)
    out = await walk(listing.fetch, None, limit=5, page_size=5)
    assert out.next_cursor(5) == "off5"  # a plain API cursor: shorter, and any client can use it
    token = out.next_cursor(3)
    assert token.startswith("hc1.")
    assert cursors.decode(token) == cursors.Position(None, 5, 3)
    again = await walk(listing.fetch, token, limit=5, page_size=99)
    assert [i.n for i in again.items] == [3, 4, 5, 6, 7]
    assert listing.requests[-2:] == [(None, 5), ("off5", 5)]  # the page size travels in the cursor


async def test_no_cursor_at_the_end():
    out = await walk(FakeListing(5).fetch, None, limit=5, page_size=5)
    assert [i.n for i in out.items] == [0, 1, 2, 3, 4]
    assert out.next_cursor(5) is None and out.complete


async def test_filtered_scan_collects_matches_across_pages():
    listing = FakeListing(50)
    out = await walk(listing.fetch, None, limit=4, page_size=10, match=lambda i: i.n % 7 == 0)
    assert [i.n for i in out.items] == [0, 7, 14, 21]
    assert out.scanned == 22
    rest = await walk(listing.fetch, out.next_cursor(4), limit=10, page_size=10, match=lambda i: i.n % 7 == 0)
    assert [i.n for i in rest.items] == [28, 35, 42, 49]
    assert rest.next_cursor(len(rest.items)) is None


async def test_scan_bound_stops_reports_and_returns_a_cursor_to_continue():
    listing = FakeListing(100)
    progress: list[int] = []

    async def on_page(scanned: int) -> None:
        progress.append(scanned)

    match = lambda i: i.n in (5, 95)  # noqa: E731
    out = await walk(listing.fetch, None, limit=10, page_size=20, match=match, max_scan=40, on_page=on_page)
    assert [i.n for i in out.items] == [5]
    assert out.scanned == 40 and not out.complete
    assert progress == [20, 40]
    assert out.next_cursor(1) == "off40"
    rest = await walk(listing.fetch, out.next_cursor(1), limit=10, page_size=20, match=match, max_scan=100)
    assert [i.n for i in rest.items] == [95] and rest.complete and rest.scanned == 60


async def test_filtered_mid_page_cut_resumes_inside_the_page():
    listing = FakeListing(30)
    even = lambda i: i.n % 2 == 0  # noqa: E731
    out = await walk(listing.fetch, None, limit=6, page_size=10, match=even)
    assert [i.n for i in out.items] == [0, 2, 4, 6, 8, 10]
    nxt = await walk(listing.fetch, out.next_cursor(2), limit=3, page_size=10, match=even)
    assert [i.n for i in nxt.items] == [4, 6, 8]


async def test_raw_api_cursor_is_accepted_and_a_damaged_one_of_ours_is_refused():
    out = await walk(FakeListing(10).fetch, "off8", limit=5, page_size=5)
    assert [i.n for i in out.items] == [8, 9]
    with pytest.raises(InvalidToolCursor):
        await walk(FakeListing(10).fetch, "hc1.not-base64!!", limit=5, page_size=5)
    with pytest.raises(InvalidToolCursor):
        await walk(FakeListing(10).fetch, cursors.encode(cursors.Position("x", 500, 0)), limit=5, page_size=5)
