"""list_conversations: browse and filter conversations, from the API or (channel, awaiting our reply, longest wait) the inbox index."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from hyperrep_mcp import index
from hyperrep_mcp.api.client import iso
from hyperrep_mcp.api.errors import HyperRepError
from hyperrep_mcp.api.models import Conversation
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, next_steps, window_text
from hyperrep_mcp.render.views import ConversationsOut, ConversationView, OrgRef, Window
from hyperrep_mcp.server.concurrency import gather, map_bounded
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import ToolInputError, fitted_result
from hyperrep_mcp.server.state import FANOUT, AppState
from hyperrep_mcp.server.tools.common import (
    Cursor,
    EndDate,
    Limit,
    OrganizationId,
    ResponseFormat,
    StartDate,
    app,
    contact_names,
    explain_not_found,
    id_field,
    index_progress,
    latest_message,
    listing_dates,
    now,
    org_ref,
    row_contact_names,
    walk,
)
from hyperrep_mcp.server.tools.index_common import (
    CURSOR_PREFIX,
    SYNC_BUDGET_S,
    IndexPosition,
    decode_cursor,
    encode_cursor,
    query_fingerprint,
)
from hyperrep_mcp.server.tools.periods import Period

FILTER_SCAN_LIMIT = 1000


SCAN_PAGE = 100


Channel = Literal["email", "text"] | None


ConversationSort = Annotated[
    Literal["recent", "longest_waiting"],
    Field(description="longest_waiting: awaiting our reply, longest wait first"),
]


EXAMPLE: dict = {"channel": "text", "unread_only": True, "period": "this_week"}


@tool("List conversations")
async def list_conversations(
    ctx: Context,
    contact_id: Annotated[str | None, id_field(required=False)] = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
    period: Period = None,
    folder: Annotated[str | None, Field(max_length=100, description="e.g. inbox, primary, archived")] = None,
    channel: Channel = None,
    unread_only: bool = False,
    awaiting_reply: Annotated[
        bool,
        Field(description="Customer wrote last; not spam/archived/trash"),
    ] = False,
    sort: ConversationSort = "recent",
    limit: Limit = 25,
    cursor: Cursor = None,
    response_format: ResponseFormat = "concise",
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ConversationsOut]:
    """Email and text threads with contact, channel, subject, folder, read state, last writer, gist, and wait if awaiting our reply.

    To browse or filter the inbox; summary: inbox_overview; read one: get_conversation_thread. Dates filter on activity; channel, awaiting_reply and longest_waiting use the inbox index (HYPERREP_INDEX_DAYS back). Example: list_conversations(channel="text", unread_only=true, period="this_week")
    """
    state = app(ctx)
    start, end = listing_dates(start_date, end_date, period=period, zone=state.settings.zone)
    if channel or awaiting_reply or sort == "longest_waiting":
        fingerprint = query_fingerprint(
            "list_conversations",
            contact_id=contact_id,
            start_date=start_date,
            end_date=end_date,
            period=period,
            folder=folder,
            channel=channel,
            unread_only=unread_only,
            awaiting_reply=awaiting_reply,
            sort=sort,
            organization_id=organization_id,
        )
        position = decode_cursor(cursor, fingerprint)
        org = await state.org_id(organization_id)
        return await _from_index(
            ctx,
            state,
            org,
            start=start,
            end=end,
            contact_id=contact_id,
            folder=folder,
            channel=channel,
            unread_only=unread_only,
            awaiting_only=awaiting_reply,
            sort=sort,
            limit=limit,
            position=position,
            fingerprint=fingerprint,
            detailed=response_format == "detailed",
        )
    if cursor and cursor.startswith(CURSOR_PREFIX):
        raise ToolInputError(
            "cursor comes from a listing filtered by channel, awaiting_reply or sort: repeat those arguments "
            "with it, or start again without cursor."
        )
    org = await state.org_id(organization_id)
    detailed = response_format == "detailed"
    wanted_folder = index.folder_key(folder) if folder else None
    filtered = bool(wanted_folder) or unread_only
    # Unread leaves spam out (SPEC 2), as on the index path, unless spam is asked for by name.
    skip_spam = unread_only and not wanted_folder

    def match(c: Conversation) -> bool:
        if wanted_folder and index.folder_key(c.folder) != wanted_folder:
            return False
        if skip_spam and index.folder_key(c.folder) == "spam":
            return False
        return not (unread_only and c.is_read is not False)

    async def fetch(api_cursor: str | None, size: int):
        if contact_id:
            return await state.api.list_contact_conversations(
                org, contact_id, limit=size, cursor=api_cursor, start_date=start, end_date=end
            )
        return await state.api.list_conversations(
            org, limit=size, cursor=api_cursor, start_date=start, end_date=end
        )

    async def progress(scanned: int) -> None:
        await ctx.report_progress(
            scanned, total=FILTER_SCAN_LIMIT, message=f"scanned {scanned} conversations"
        )

    with explain_not_found(
        f"No contact with contact_id={contact_id} in this organization. "
        "Find the contact_id with list_contacts(query=...)."
    ):
        found, organization = await gather(
            lambda: walk(
                fetch,
                cursor,
                limit=limit,
                page_size=SCAN_PAGE if filtered else limit,
                match=match if filtered else None,
                max_scan=FILTER_SCAN_LIMIT if filtered else None,
                on_page=progress if filtered else None,
            ),
            lambda: org_ref(state, org),
        )
    # Only rows the index holds for exactly this activity, folder and read state: a stale row would
    # show an old gist or an answered conversation as awaiting.
    known = index.current_rows(state.index(org).store, org, found.items)

    async def last_of(c: Conversation) -> records.LastMessage | None:
        if c.conversation_id in known:
            return None  # the index already says it
        try:
            last = await latest_message(state, org, c)
        except HyperRepError:  # costs the line its gist, not the listing
            return None
        return records.last_message(last) if last else None

    contacts, lasts = await gather(
        lambda: contact_names(state, org, (c.contact_id for c in found.items)),
        lambda: map_bounded(last_of, found.items, limit=FANOUT),
    )
    views = _enrich(
        [
            records.with_last_message(
                records.conversation_view(c, contact=contacts.get(c.contact_id or ""), detailed=detailed),
                last,
            )
            for c, last in zip(found.items, lasts, strict=True)
        ],
        known,
    )

    filters = [
        f"folder {wanted_folder}" if wanted_folder else None,
        ("unread only" + (", spam left out" if skip_spam else "")) if unread_only else None,
    ]
    if contact_id:
        filters.append(f"contact {views[0].contact_name if views and views[0].contact_name else contact_id}")
    if start or end:
        filters.append(_active_text(start, end, state.settings.zone))
    scope = ", ".join(f for f in filters if f)
    listed = Listed(
        organization=organization,
        views=views,
        scope=scope,
        detailed=detailed,
        now=now(),
        zone=state.settings.zone,
        next_cursor=found.next_cursor,
        available=state.available,
        window=Window(start_date=iso(start), end_date=iso(end)) if start and end else None,
        scanned=found.scanned if filtered else None,
        scan_complete=found.complete,
    )
    return shown(listed, budget=state.settings.max_output_chars)


def row_view(r: index.ConversationRow, name: str | None, *, detailed: bool) -> ConversationView:
    """A conversation as the inbox index knows it: channel, subject, who wrote last, the wait."""
    return ConversationView(
        conversation_id=r.conversation_id,
        contact_id=r.contact_id,
        contact_name=name,
        folder=r.folder,
        is_read=r.is_read,
        start_at=iso(r.start_at) if detailed else None,
        last_activity_at=iso(r.last_activity_at),
        modality=r.channel,
        subject=r.subject,
        last_from={"inbound": "customer", "outbound": "us"}.get(r.last_direction or ""),
        last_message_at=iso(r.last_message_at),
        gist=r.gist,
        awaiting_reply=r.awaiting,
        waiting_since=iso(r.waiting_since) if r.awaiting else None,
    )


def _enrich(views: list[ConversationView], rows: dict[str, index.ConversationRow]) -> list[ConversationView]:
    """API rows completed from the inbox index where it already holds the conversation."""
    out = []
    for v in views:
        r = rows.get(v.conversation_id)
        if r is None or not r.messages_stored:
            out.append(v)
            continue
        full = row_view(r, v.contact_name, detailed=False)
        out.append(
            full.model_copy(update={"start_at": v.start_at, "extra": v.extra, "contact_id": v.contact_id})
        )
    return out


def _active_text(start: datetime | None, end: datetime | None, zone: tzinfo) -> str:
    return f"active {window_text(start, end, zone)}"


async def _from_index(
    ctx: Context,
    state: AppState,
    org: str,
    *,
    start: datetime | None,
    end: datetime | None,
    contact_id: str | None,
    folder: str | None,
    channel: str | None,
    unread_only: bool,
    awaiting_only: bool,
    sort: str,
    limit: int,
    position: IndexPosition,
    fingerprint: str,
    detailed: bool,
) -> CallToolResult:
    """The listing answered from the inbox index: complete (no scan bound) and able to filter on what
    the API cannot (channel, awaiting our reply), with coverage said in the header."""
    idx = state.index(org)
    coverage, organization = await gather(
        lambda: idx.ensure_fresh(
            start, budget_s=SYNC_BUDGET_S, progress=index_progress(ctx, 1, "updating the inbox index")
        ),
        lambda: org_ref(state, org),
    )
    current = now()
    lo = start or (current - timedelta(days=state.settings.index_days))
    hi = end or current
    if position.until is not None and position.until < hi:  # later pages keep the first page's window
        hi = position.until
    offset = position.offset
    # Unread leaves spam out (SPEC 2), as inbox_overview's counts do, unless spam is asked for by name.
    skip_spam = unread_only and not folder
    rows, total = index.conversations(
        idx.store,
        org,
        start=lo,
        end=hi,
        channel=channel,
        folder=index.folder_key(folder) if folder else None,
        unread_only=unread_only,
        awaiting_only=awaiting_only,
        contact_id=contact_id,
        sort="longest_waiting" if sort == "longest_waiting" else "recent",
        limit=None if skip_spam else limit,
        offset=0 if skip_spam else offset,
    )
    if skip_spam:
        kept_rows = [r for r in rows if index.folder_key(r.folder or "") != "spam"]
        rows, total = kept_rows[offset : offset + limit], len(kept_rows)
    names = await row_contact_names(state, org, rows)
    views = [row_view(r, names.get(r.contact_id or ""), detailed=detailed) for r in rows]

    filters = [
        f"{channel} only" if channel else None,
        "awaiting our reply" if awaiting_only else None,
        f"folder {index.folder_key(folder)}" if folder else None,
        ("unread only" + (", spam left out" if skip_spam else "")) if unread_only else None,
        f"contact {views[0].contact_name or contact_id}" if contact_id and views else None,
        f"contact {contact_id}" if contact_id and not views else None,
        _active_text(lo, hi, state.settings.zone),
    ]
    scope = ", ".join(f for f in filters if f)
    listed = Listed(
        organization=organization,
        views=views,
        scope=scope,
        detailed=detailed,
        now=current,
        zone=state.settings.zone,
        next_cursor=lambda kept: (
            encode_cursor(offset + kept, fingerprint, until=hi) if offset + kept < total else None
        ),
        available=state.available,
        window=Window(start_date=iso(lo), end_date=iso(hi)),
        total=total,
        offset=offset,
        order="longest wait first" if sort == "longest_waiting" else "most recent activity first",
        coverage=coverage.describe(current, state.settings.zone),
        coverage_complete=coverage.complete,
    )
    return shown(listed, budget=state.settings.max_output_chars)


@dataclass(frozen=True)
class Listed:
    """What a listing found, before any text: the input of `shown`. From the API: `scanned` says how
    far a filtered scan got; from the inbox index: `total`, `offset`, `order` and `coverage` are set."""

    organization: OrgRef
    views: list[ConversationView]
    scope: str  # the filters that applied, in words
    detailed: bool
    now: datetime  # what waits are measured to
    next_cursor: Callable[[int], str | None]
    available: Callable[[Iterable[str]], list[str]]  # the suggested calls this server serves
    window: Window | None = None
    scanned: int | None = None  # a filtered scan of the API's listing
    scan_complete: bool = True
    total: int | None = None  # an answer from the index: how many match in all
    offset: int = 0
    order: str = "most recent activity first"
    coverage: str | None = None
    coverage_complete: bool | None = None
    zone: tzinfo = UTC  # HYPERREP_TIMEZONE, in which the lines' times read


def shown(f: Listed, *, budget: int) -> CallToolResult:
    """The whole result: a header with the filters (and how far a scan got, or what the index
    covered), one line per conversation, the cursor that continues; text and structured output cut
    alike."""
    views, organization = f.views, f.organization

    def header(kept: int) -> str:
        if f.total is None:
            where = f" ({f.scope})" if f.scope else ""
            scanned = (
                f"; scanned {f.scanned} conversations{'' if f.scan_complete else ', more remain'}"
                if f.scanned is not None
                else ""
            )
            return f"Conversations in {organization.name} — {kept} shown, {f.order}{where}{scanned}"
        return "\n".join(
            [
                f"Conversations in {organization.name} — {kept} shown of {f.total} ({f.offset + 1 if kept else f.offset}"
                f"–{f.offset + kept}), {f.order} ({f.scope})",
                f"({f.coverage})",
            ]
        )

    def footer(kept: int) -> list[str]:
        lines = []
        if nxt := f.next_cursor(kept):
            lines.append(
                f'next cursor: {nxt} (more: list_conversations(..., cursor="{nxt}") with the same filters)'
            )
        if not views:
            lines.append(
                "No conversations match."
                + ("" if f.scan_complete else " The scan stopped at its bound: continue with the cursor.")
            )
        return lines + next_steps(f.available(_suggest(views[:kept])))

    lines = [records.conversation_line(v, detailed=f.detailed, now=f.now, zone=f.zone) for v in views]
    return fitted_result(
        lambda limit: fit(header, lines, footer, budget, limit=limit),
        lambda kept: ConversationsOut(
            organization=organization,
            conversations=views[:kept],
            window=f.window,
            scanned=f.scanned,
            scan_complete=f.scan_complete if f.scanned is not None else None,
            total=f.total,
            coverage=f.coverage,
            coverage_complete=f.coverage_complete,
            next_cursor=f.next_cursor(kept),
            suggested_calls=f.available(_suggest(views[:kept])),
        ),
        total=len(views),
        list_name="conversations",
        budget=budget,
    )


def _suggest(views: list[ConversationView]) -> list[str]:
    return [call("get_conversation_thread", conversation_id=v.conversation_id) for v in views[:1]]
