"""What every tool shares: argument types, date parsing, state access, and cursor walking."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Annotated, Any, Generic, Literal, TypeVar
from urllib.parse import unquote

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from hyperrep_mcp import index
from hyperrep_mcp.api.client import iso
from hyperrep_mcp.api.errors import HyperRepError, NotFoundError
from hyperrep_mcp.api.models import Company, Contact, Conversation, Message, Page, Record, ResponseRate
from hyperrep_mcp.index import ConversationRow, Progress
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit
from hyperrep_mcp.render.text import one_line
from hyperrep_mcp.render.views import OrgRef, RateFigures, RecordsOut, Window
from hyperrep_mcp.server import cursor as cursors
from hyperrep_mcp.server.concurrency import gather
from hyperrep_mcp.server.results import ToolInputError, fitted_result, tool_error
from hyperrep_mcp.server.state import CALL_CLOCK, AppState
from hyperrep_mcp.server.tools.periods import PERIODS, DateWindow, days_before, midnight, period_window
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


def route_ids(route_hint: str | None) -> dict[str, str]:
    """IDs in an API path a 404 points at: {'conversations': cid, 'messages': mid, ...}."""
    parts = [p for p in (route_hint or "").split("/") if p]
    return {parts[i]: unquote(parts[i + 1]) for i in range(len(parts) - 1)}


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


def _utc(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M}Z"


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
        raise ToolInputError(f"start_date ({_utc(start)}) is after end_date ({_utc(end)}): swap them.")
    return start, end


def date_range(
    start_date: str | None,
    end_date: str | None,
    *,
    default_days: int,
    past_only: bool = False,
    period: str | None = None,
    zone: tzinfo = UTC,
) -> DateWindow:
    """The window a windowed tool covers: the named `period` (read in `zone`), else the dates, where a
    missing end is now and a missing start `default_days` before the end; with neither, the
    `last_{default_days}_days` period. This is THE resolver every windowed tool uses (periods.py
    holds the pure calendar arithmetic); its `.previous()` is what compare_to_previous compares with.

    Errors are raised here, before any request, so the model learns the fix without a round trip.
    With `past_only` (analytics: the API refuses future timestamps) a future end is cut to now and a
    future start is an error that says so, rather than a confusing "start after end".
    """
    no_period_with_dates(period, start_date, end_date)
    current = now()
    if not period and not (start_date and start_date.strip()) and not (end_date and end_date.strip()):
        period = f"last_{default_days}_days" if f"last_{default_days}_days" in PERIODS else None
    if period:
        window = period_window(period, current, zone)
        if past_only and window.end > current:
            window = DateWindow(window.start, current, window.period, zone)  # "this month" ends now
        return window
    start, end = listing_dates(start_date, end_date, zone=zone)
    if past_only:
        if start and start > current:
            raise ToolInputError(
                f"start_date ({_utc(start)}) is in the future; analytics cover the past only. "
                "Use today or an earlier date."
            )
        end = min(end, current) if end else current
    end = end or current
    start = start or days_before(end, default_days, zone)
    if start > end:
        raise ToolInputError(f"start_date ({_utc(start)}) is after end_date ({_utc(end)}): swap them.")
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
    """One renderer for the undocumented listings: whatever fields come back, one line per record.

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

    def header(kept: int) -> str:
        return f"{kind.capitalize()} in {organization.name} — {kept} shown{scope}"

    def footer(kept: int) -> list[str]:
        nxt = found.next_cursor(kept)
        lines = (
            [f"next cursor: {nxt} (more: {call(tool_name, **(same_args or {}), cursor=nxt)})"] if nxt else []
        )
        if not items:
            lines.append(f"No {kind} found.")
        return lines

    shown_id = id_key if id_needed or detailed else None
    lines = [
        records.record_line(
            {k: v for k, v in i.items() if k != id_key or shown_id}, shown_id, trailing_ids=("contact_id",)
        )
        for i in items
    ]
    return fitted_result(
        lambda limit: fit(header, lines, footer, state.settings.max_output_chars, limit=limit),
        lambda kept: RecordsOut(
            organization=organization, kind=kind, items=items[:kept], next_cursor=found.next_cursor(kept)
        ),
        total=len(items),
        list_name="items",
        budget=state.settings.max_output_chars,
    )


def moved_or_missing(
    exc: NotFoundError,
    state: AppState,
    *,
    kind: str,
    draft_id: str,
    conversation_id: str | None = None,
) -> CallToolResult:
    """A draft 404 as the next step: sent drafts live on in a thread, and an ID of the other kind of
    draft names the tool that reads it, with the exact arguments."""
    detail = (exc.detail or "").lower()
    if "organization_id" in detail:
        raise exc  # the registry lists the organizations
    ids = route_ids(exc.route_hint)
    cid = ids.get("conversations") or conversation_id
    if "promot" in detail or "was sent" in detail:
        where = call("get_conversation_thread", conversation_id=cid) if cid else "get_conversation_thread"
        what = "a conversation" if kind == "message" else "a message in its conversation"
        return tool_error(
            f"This {kind} draft was already sent, so it is no longer a draft: it became {what}."
            + _read_with(
                state,
                where,
                lead=" ",
                instead=f" Read it in HyperRep (conversation_id={cid})." if cid else "",
            )
        )
    if "/response-drafts" in (exc.route_hint or ""):
        return tool_error(
            "This ID belongs to a response draft (a reply in a conversation), not a message draft."
            + _read_with(
                state, call("get_response_draft", conversation_id=cid, response_id=draft_id), lead=" "
            )
        )
    if "/message-drafts" in (exc.route_hint or ""):
        return tool_error(
            "This ID belongs to a message draft (new outreach), not a response draft."
            + _read_with(state, call("get_message_draft", draft_id=draft_id), lead=" ")
        )
    if kind == "message":
        listing = call("list_message_drafts")
    else:
        if "conversation" in detail:
            finders = state.available(["inbox_overview", "list_conversations"])
            return tool_error(
                f"No conversation with conversation_id={conversation_id} in this organization."
                + (f" Find conversations with {' or '.join(finders)}." if finders else "")
            )
        listing = call("list_response_drafts", conversation_id=conversation_id)
    shows = f" {listing} shows the drafts that exist." if state.available([listing]) else ""
    return tool_error(
        f"No {kind} draft with that ID in this organization: it may have been deleted or sent.{shows}"
    )


def _read_with(state: AppState, suggestion: str, *, lead: str = "", instead: str = "") -> str:
    """The sentence naming `suggestion`, only when its tool is served here (HYPERREP_EXCLUDE_TOOLS may
    drop it); else `instead`."""
    return f"{lead}Read it with {suggestion}." if state.available([suggestion]) else instead


# --- response rates and the index's progress (the rate and index tools) -------------------------


def rate_figures(window: DateWindow, rate: ResponseRate) -> RateFigures:
    percent = None
    if rate.received:
        value = rate.rate if rate.rate is not None else rate.responded / rate.received
        percent = round(value * 100 if value <= 1 else value, 1)  # tolerate an API that sends percent
    return RateFigures(
        window=Window(start_date=iso(window.start), end_date=iso(window.end)),
        received=rate.received,
        responded=rate.responded,
        rate_percent=percent,
    )


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
