"""What every tool shares: argument types, date parsing, state access, and cursor walking."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Annotated, Any, Generic, Literal, TypeVar

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from hyperrep_mcp import index
from hyperrep_mcp.api.client import iso
from hyperrep_mcp.api.errors import HyperRepError, NotFoundError
from hyperrep_mcp.api.models import Company, Contact, Conversation, Message, Page, Record, ResponseRate
from hyperrep_mcp.index import ConversationRow, Progress
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, when
from hyperrep_mcp.render.text import one_line
from hyperrep_mcp.render.views import OrgRef, RateFigures, RecordsOut, Window
from hyperrep_mcp.server import cursor as cursors
from hyperrep_mcp.server.concurrency import gather
from hyperrep_mcp.server.results import ToolInputError, fitted_result
from hyperrep_mcp.server.state import CALL_CLOCK, AppState
from hyperrep_mcp.server.tools.periods import DateWindow, midnight, period_window, start_before
from hyperrep_mcp.server.validation import CURSOR_PATTERN, ID_PATTERN, MAX_CURSOR, MAX_ID

M = TypeVar("M", bound=BaseModel)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # sorts records without a timestamp last

MAX_PAGE = 100  # the API's largest page
MAX_DATE = 40  # the longest ISO 8601 date-time with fraction and offset is about 35 characters


def id_field(description: str | None = None, *, required: bool = True) -> Any:
    """The schema of every ID argument: the API's alphabet and a length bound, checked before any
    request (a '/', '?', whitespace or a dot segment would leave the ID's route)."""
    return Field(
        min_length=1 if required else None, max_length=MAX_ID, pattern=ID_PATTERN, description=description
    )


OrganizationId = Annotated[
    str | None,
    id_field("See list_organizations", required=False),
]
# The conversation a response draft replies in (the draft tools).
ConversationId = Annotated[str, id_field()]
Limit = Annotated[int, Field(ge=1, le=100)]
Cursor = Annotated[
    str | None,
    Field(max_length=MAX_CURSOR, pattern=CURSOR_PATTERN),
]
# detailed adds every field the API returned (the name says enough to the model).
ResponseFormat = Literal["concise", "detailed"]
StartDate = Annotated[
    str | None,
    Field(
        max_length=MAX_DATE,
        description="ISO date/date-time, operator's time zone",
    ),
]
EndDate = Annotated[
    str | None,
    Field(
        max_length=MAX_DATE,
        description="Like start_date; a bare date includes that day",
    ),
]


def app(ctx: Context) -> AppState:
    return ctx.request_context.lifespan_context


async def org_ref(state: AppState, org_id: str) -> OrgRef:
    return OrgRef(organization_id=org_id, name=await state.org_name(org_id))


async def company_map(state: AppState, org: str) -> dict[str, Company]:
    """Companies by id for naming a contact's company; a failure only costs the company name."""
    try:
        return await state.company_map(org)
    except HyperRepError:
        return {}


async def contact_names(state: AppState, org: str, ids: Iterable[str | None]) -> dict[str, Contact]:
    """Contacts by id for naming the people in a listing (concurrently, bounded, cached). A failure
    costs the names, not the listing: lines then show the contact_id."""
    try:
        return await state.contacts_by_id(org, ids)
    except HyperRepError:
        return {}


async def latest_message(state: AppState, org: str, conv: Conversation) -> Message | None:
    """A conversation's latest message, read from a short look-back before its last activity (one
    request, almost always). Raises HyperRepError: callers decide what a failure costs."""
    since = (conv.last_activity_at - timedelta(days=1)) if conv.last_activity_at else None
    page = await state.api.list_messages(org, conv.conversation_id, limit=50, start_date=since)
    msgs = page.data
    while page.next_cursor and len(msgs) < 500:  # rare: a very busy last day
        page = await state.api.list_messages(
            org, conv.conversation_id, limit=100, cursor=page.next_cursor, start_date=since
        )
        msgs += page.data
    return max(msgs, key=lambda m: m.timestamp or EPOCH) if msgs else None


async def row_contact_names(state: AppState, org: str, rows: Iterable[ConversationRow]) -> dict[str, str]:
    """Names for inbox-index rows' contacts: from the index when it holds them, else from the API
    (concurrently, cached); a failure costs the names, not the answer."""
    store = state.index(org).store
    names: dict[str, str] = {}
    missing = []
    for r in rows:
        known = index.contact(store, org, r.contact_id) if r.contact_id else None
        label = (known.name or known.email or known.phone_number) if known else None
        if label and one_line(label):
            names[r.contact_id or ""] = one_line(label)
        elif r.contact_id:
            missing.append(r.contact_id)
    if missing:
        for cid, c in (await contact_names(state, org, missing)).items():
            names[cid] = records.contact_name(records.contact_view(c))
    return names


@contextmanager
def explain_not_found(message: str) -> Iterator[None]:
    """A 404 for the record a call names becomes `message`: what is missing and where to look.

    An unknown organization, and the draft lifecycle's "it moved" answers, keep their own
    explanations (the registry lists the organizations; the draft tools name the right tool).
    """
    try:
        yield
    except NotFoundError as exc:
        if "organization_id" in (exc.detail or "").lower() or exc.route_hint:
            raise
        raise ToolInputError(message) from None


# --- dates ---------------------------------------------------------------------------------------

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(
    value: str | None, *, field_name: str, end: bool = False, zone: tzinfo = UTC
) -> datetime | None:
    """An ISO 8601 date or date-time as aware UTC. A bare date, or a date-time without an offset, is
    read in `zone` (HYPERREP_TIMEZONE); a bare end date means the end of that day."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if _DATE_ONLY.match(text):
            day = date.fromisoformat(text)
            if end:
                return midnight(day + timedelta(days=1), zone) - timedelta(microseconds=1)  # 23:59:59.4 too
            return midnight(day, zone)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ToolInputError(
            f"{field_name} {value!r} is not an ISO 8601 date. Use e.g. 2026-11-01 or 2026-11-01T09:00:00Z."
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).astimezone(UTC)


def now() -> datetime:
    """The current instant by the server's clock (`AppState.clock`), to the second."""
    return CALL_CLOCK.get()().replace(microsecond=0)


def no_period_with_dates(period: str | None, start_date: str | None, end_date: str | None) -> None:
    given = [n for n, v in (("start_date", start_date), ("end_date", end_date)) if v and v.strip()]
    if period and given:
        raise ToolInputError(
            f"period={period!r} cannot be combined with {' and '.join(given)}: give period alone "
            f'(e.g. period="{period}") or the dates alone.'
        )


def listing_dates(
    start_date: str | None, end_date: str | None, *, period: str | None = None, zone: tzinfo = UTC
) -> tuple[datetime | None, datetime | None]:
    """Optional filter bounds for a listing (from `period` or the dates), validated before any request."""
    no_period_with_dates(period, start_date, end_date)
    if period:
        window = period_window(period, now(), zone)
        return window.start, window.end
    start = parse_date(start_date, field_name="start_date", zone=zone)
    end = parse_date(end_date, field_name="end_date", end=True, zone=zone)
    if start and end and start > end:
        # In the zone the dates were given in, so the model recognises its own arguments.
        raise ToolInputError(
            f"start_date ({when(start, zone)}) is after end_date ({when(end, zone)}): swap them."
        )
    return start, end


def resolve_window(
    period: str | None,
    start_date: str | None,
    end_date: str | None,
    *,
    default: str | None,
    zone: tzinfo = UTC,
    reach_start: datetime | None = None,
) -> DateWindow:
    """The window a windowed tool covers (SPEC section 2), validated before any request, so the model
    learns the fix without a round trip. The one resolver of every windowed tool; periods.py holds
    the pure calendar arithmetic, and the window's `.previous()` is what compare_to_previous
    compares with.

    - `period`: the named period at now, read in `zone` (HYPERREP_TIMEZONE); a this_* period runs to now.
    - Dates: a bare date is read in `zone` and a bare end date is the end of that day; a missing end
      is now, a missing start is where `default` would start (the index's reach when None).
    - Neither: the `default` period, or with default=None the index's whole reach (`reach_start`
      to now).

    Windows cover the past only (the API's analytics refuse future timestamps; the index holds
    nothing later): a future end is cut to now, and a future start is an error that says so rather
    than a confusing "start after end".
    """
    no_period_with_dates(period, start_date, end_date)
    current = now()
    dated = bool((start_date and start_date.strip()) or (end_date and end_date.strip()))
    if not period and not dated:
        if default is None:
            return DateWindow(reach_start or current, current, None, zone)
        period = default
    if period:
        window = period_window(period, current, zone)
        if window.end > current:
            window = DateWindow(window.start, current, window.period, zone)  # "this month" ends now
        return window
    start, end = listing_dates(start_date, end_date, zone=zone)
    if start and start > current:
        raise ToolInputError(
            f"start_date ({when(start, zone)}) is in the future; this covers the past only. "
            "Use today or an earlier date."
        )
    if start is None and default is not None:
        # From the end as given (a bare end_date closes a local day, so the span is whole days), cut to
        # now first: from a future day the span would start in the future and lose its length.
        start = start_before(default, min(end, current) if end else current, zone)
    end = min(end, current) if end else current
    if start is None:
        start = reach_start or end
    if start > end:  # an end before the index's reach: the 30 days before it
        start = end - timedelta(days=30)
    return DateWindow(start, end, None, zone)


# --- walking a cursor listing -----------------------------------------------------------------


@dataclass
class Walk(Generic[M]):
    """Items collected from a listing, with the position right after each, so the next cursor can
    point exactly after the last item shown (even mid-page)."""

    items: list[M] = field(default_factory=list)
    after: list[cursors.Position | None] = field(default_factory=list)
    end: cursors.Position | None = None
    scanned: int = 0
    complete: bool = True

    def next_cursor(self, shown: int) -> str | None:
        position = self.after[shown - 1] if 0 < shown < len(self.items) else self.end
        return _token(position)


def _token(position: cursors.Position | None) -> str | None:
    if position is None:
        return None
    if position.skip == 0:
        return position.api_cursor  # a plain API cursor is shorter; ours only when mid-page
    return cursors.encode(position)


def _after(
    api_cursor: str | None, size: int, index: int, count: int, nxt: str | None
) -> cursors.Position | None:
    if index < count:
        return cursors.Position(api_cursor, size, index)
    return cursors.Position(nxt, size, 0) if nxt else None


async def walk(
    fetch: Callable[[str | None, int], Awaitable[Page[M]]],
    cursor: str | None,
    *,
    limit: int,
    page_size: int,
    match: Callable[[M], bool] | None = None,
    max_scan: int | None = None,
    on_page: Callable[[int], Awaitable[Any]] | None = None,
) -> Walk[M]:
    """Collect up to `limit` (matching) items from `cursor` on, scanning at most `max_scan` items."""
    start = cursors.decode(cursor)
    api_cursor, size, skip = start.api_cursor, start.page_size or page_size, start.skip
    out: Walk[M] = Walk()
    while True:
        page = await fetch(api_cursor, size)
        data, nxt = page.data, page.next_cursor
        for i in range(skip, len(data)):
            out.scanned += 1
            if match is None or match(data[i]):
                out.items.append(data[i])
                out.after.append(_after(api_cursor, size, i + 1, len(data), nxt))
                if len(out.items) >= limit:
                    out.end = out.after[-1]
                    return out
        if on_page is not None:
            await on_page(out.scanned)
        if nxt is None:
            out.end = None
            return out
        if max_scan is not None and out.scanned >= max_scan:
            out.end = cursors.Position(nxt, size, 0)
            out.complete = False
            return out
        api_cursor, skip = nxt, 0


# --- shared renderings with their fetching -------------------------------------------------------


async def records_listing(
    state: AppState,
    *,
    org: str,
    kind: str,
    tool_name: str,
    id_key: str,
    fetch: Callable[[str | None, int], Awaitable[Page[Record]]],
    cursor: str | None,
    limit: int,
    detailed: bool,
    scope: str = "",
    id_needed: bool = True,
    match: Callable[[Record], bool] | None = None,
    same_args: dict[str, str] | None = None,
) -> CallToolResult:
    """The one listing of the undocumented records (sales, agents, companies): the page fetched, its
    contacts named, then shown whole by `records_shown`: whatever fields come back, one line a record.

    Records that point at a contact (sales do) get the contact's name, resolved concurrently like
    conversation listings do: names over IDs. `id_needed=False`: no tool takes the record's own ID,
    so concise text leaves it out (structured output and detailed text keep it). `match` keeps only
    the records it accepts (reading full pages); `same_args` are the arguments the next page's call
    repeats besides the cursor.
    """
    page_size = MAX_PAGE if match is not None else limit
    found, organization = await gather(
        lambda: walk(fetch, cursor, limit=limit, page_size=page_size, match=match),
        lambda: org_ref(state, org),
    )
    items = [records.record_dict(r, detailed=detailed) for r in found.items]
    contact_ids = [i["contact_id"] for i in items if isinstance(i.get("contact_id"), str)]
    if contact_ids:
        contacts = await contact_names(state, org, contact_ids)
        for i, item in enumerate(items):
            contact = contacts.get(item.get("contact_id") or "")
            if contact is not None and "contact_name" not in item:
                name = records.contact_name(records.contact_view(contact))
                items[i] = {"contact_name": name, **item}
    listing = RecordsFound(
        organization=organization,
        kind=kind,
        tool_name=tool_name,
        id_key=id_key,
        show_id=id_needed or detailed,
        items=items,
        next_cursor=found.next_cursor,
        scope=scope,
        same_args=same_args or {},
        zone=state.settings.zone,
    )
    return records_shown(listing, budget=state.settings.max_output_chars)


@dataclass(frozen=True)
class RecordsFound:
    """What an undocumented listing found, before any text: the input of `records_shown`."""

    organization: OrgRef
    kind: str  # "sales", "agents", ...: the header's noun
    tool_name: str  # the tool the next page's call names
    id_key: str  # the field holding the record's own ID
    show_id: bool  # whether the text shows it (structured output always has it)
    items: list[dict[str, Any]]  # one record's fields each, contact names resolved
    next_cursor: Callable[[int], str | None]
    scope: str = ""  # what narrowed the listing, e.g. " (2026-11-01 → now)"
    same_args: dict[str, str] = field(default_factory=dict)  # what the next page's call repeats
    zone: tzinfo = UTC  # HYPERREP_TIMEZONE, in which the records' timestamps read


def records_shown(f: RecordsFound, *, budget: int) -> CallToolResult:
    """The whole result of an undocumented listing: a header, whatever fields each record has on one
    line, the cursor after the last one shown; text and structured output cut alike."""

    def header(kept: int) -> str:
        return f"{f.kind.capitalize()} in {f.organization.name} — {kept} shown{f.scope}"

    def footer(kept: int) -> list[str]:
        nxt = f.next_cursor(kept)
        lines = [f"next cursor: {nxt} (more: {call(f.tool_name, **f.same_args, cursor=nxt)})"] if nxt else []
        if not f.items:
            lines.append(f"No {f.kind} found.")
        return lines

    lines = [
        records.record_line(
            {k: v for k, v in i.items() if k != f.id_key or f.show_id},
            f.id_key if f.show_id else None,
            trailing_ids=("contact_id",),
            zone=f.zone,
        )
        for i in f.items
    ]
    return fitted_result(
        lambda limit: fit(header, lines, footer, budget, limit=limit),
        lambda kept: RecordsOut(
            organization=f.organization, kind=f.kind, items=f.items[:kept], next_cursor=f.next_cursor(kept)
        ),
        total=len(f.items),
        list_name="items",
        budget=budget,
    )


# --- response rates and the index's progress (the rate and index tools) -------------------------


def rate_figures(window: DateWindow, rate: ResponseRate) -> RateFigures:
    percent = None
    if rate.received:
        value = rate.rate if rate.rate is not None else rate.responded / rate.received
        percent = round(value * 100 if value <= 1 else value, 1)  # tolerate an API that sends percent
    return RateFigures(
        window=window_view(window),
        received=rate.received,
        responded=rate.responded,
        rate_percent=percent,
    )


def window_view(window: DateWindow) -> Window:
    """A window for structured output: its bounds in ISO 8601 UTC."""
    return Window(start_date=iso(window.start) or "", end_date=iso(window.end) or "")


def rate_line(f: RateFigures) -> str:
    if f.rate_percent is None:
        return "no conversations received, so no rate"
    return f"{f.rate_percent:g}% ({f.responded} of {f.received} conversations received were answered)"


def index_progress(ctx: Context, total: int, message: str) -> Progress:
    """The index's sync progress as this call's first step (0 -> 1 of `total`), increasing only."""
    last = 0.0

    async def report(done: float, of: float | None, detail: str) -> None:
        nonlocal last
        value = min(0.99, done / of) if of else last
        if value > last:
            last = value
            await ctx.report_progress(value, total=total, message=f"{message}: {detail}")

    return report
