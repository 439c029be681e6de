"""Analytics and the inbox overview: response rates, and "what needs attention" in one call."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from hyperrep_mcp import index
from hyperrep_mcp.api.client import iso
from hyperrep_mcp.api.errors import HyperRepError
from hyperrep_mcp.api.models import ResponseRate
from hyperrep_mcp.index import Progress
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, join_fields, next_steps
from hyperrep_mcp.render.text import one_line
from hyperrep_mcp.render.views import AwaitingItem, InboxOverviewOut, RateFigures, ResponseRateOut, Window
from hyperrep_mcp.server.concurrency import gather, map_bounded
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import fitted_result, tool_result
from hyperrep_mcp.server.state import FANOUT, AppState
from hyperrep_mcp.server.tools.common import (
    DateWindow,
    EndDate,
    OrganizationId,
    StartDate,
    app,
    date_range,
    org_ref,
    row_contact_names,
)
from hyperrep_mcp.server.tools.periods import Period

# --- response rate -------------------------------------------------------------------------------


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


def window_text(w: Window) -> str:
    def short(value: str) -> str:
        return value[:10] if value[11:19] in ("00:00:00", "23:59:59") else value[:16].replace("T", " ") + "Z"

    return f"{short(w.start_date)} → {short(w.end_date)}"


def rate_line(f: RateFigures) -> str:
    if f.rate_percent is None:
        return "no conversations received, so no rate"
    return f"{f.rate_percent:g}% ({f.responded} of {f.received} conversations received were answered)"


@tool("Get response rate")
async def get_response_rate(
    ctx: Context,
    start_date: StartDate = None,
    end_date: EndDate = None,
    period: Period = None,
    compare_to_previous: Annotated[
        bool,
        Field(
            description="Also compute the previous period of the same kind (last month for this_month; "
            "the window of equal length before explicit dates) and the change"
        ),
    ] = False,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, ResponseRateOut]:
    """How many customer conversations we answered: received, responded, and the rate as a percentage,
    for a window (default: the last 30 days), optionally against the previous period of the same kind
    (this month so far against the whole of last month).

    Use it for "how responsive are we" questions; for which conversations still need a reply use
    inbox_overview. Example: get_response_rate(period="this_month", compare_to_previous=true).
    """
    state = app(ctx)
    window = date_range(
        start_date, end_date, default_days=30, past_only=True, period=period, zone=state.settings.zone
    )
    org = await state.org_id(organization_id)

    async def fetch(w: DateWindow) -> RateFigures:
        return rate_figures(w, await state.api.get_response_rate(org, start_date=w.start, end_date=w.end))

    calls = [lambda: fetch(window), lambda: org_ref(state, org)]
    if compare_to_previous:
        calls.append(lambda: fetch(window.previous()))
    results = await gather(*calls)
    current, organization = results[0], results[1]
    previous = results[2] if compare_to_previous else None
    change = None
    if previous and current.rate_percent is not None and previous.rate_percent is not None:
        change = round(current.rate_percent - previous.rate_percent, 1)

    lines = [f"Response rate in {organization.name}, {window_text(current.window)}: {rate_line(current)}"]
    if previous:
        lines.append(f"Previous window, {window_text(previous.window)}: {rate_line(previous)}")
        if change is not None:
            direction = "up" if change > 0 else "down" if change < 0 else "unchanged"
            lines.append(f"Change: {change:+g} percentage points ({direction})")
    suggestions = state.available([call("inbox_overview")])
    text, _ = fit(lines[0], lines[1:], lambda _k: next_steps(suggestions), state.settings.max_output_chars)
    out = ResponseRateOut(organization=organization, current=current, previous=previous, change_points=change)
    return tool_result(out, text, budget=state.settings.max_output_chars)


# --- inbox overview ------------------------------------------------------------------------------

INDEX_BUDGET_S = 20.0  # how long a call waits for the index to catch up; the sync goes on after it

OverviewSort = Annotated[
    Literal["longest_waiting", "recent"],
    Field(description="Order of the awaiting list: longest_waiting (who has waited longest) or recent"),
]


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


async def _draft_pending(state: AppState, org: str, conversation_id: str) -> bool:
    """Whether a reply draft awaits review; asked only for the conversations listed as awaiting."""
    try:
        page = await state.api.list_response_drafts(org, conversation_id, limit=5)
    except HyperRepError:
        return False
    return any(d.status == "saved" for d in page.data)


@tool("Inbox overview")
async def inbox_overview(
    ctx: Context,
    start_date: StartDate = None,
    end_date: EndDate = None,
    period: Period = None,
    sort: OverviewSort = "longest_waiting",
    limit: Annotated[
        int, Field(ge=1, le=50, description="How many awaiting conversations to list (1-50)")
    ] = 10,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, InboxOverviewOut]:
    """The one-call picture of what needs attention (default: the last 7 days): counts over every
    conversation active in the window (total, unread by channel, by folder, awaiting our reply), the
    conversations awaiting our reply (the customer wrote last) longest wait first, with the contact's
    name, channel, how long they have waited and a one-line gist, the response rate, and message
    drafts awaiting review.

    Start here for "who is waiting on us?" or "what happened this week?"; for the full awaiting list
    or a channel, use list_conversations(awaiting_reply=true, sort="longest_waiting"); then read a
    conversation with get_conversation_thread and draft a reply with upsert_response_draft.
    Example: inbox_overview(period="this_week").
    """
    state = app(ctx)
    window = date_range(
        start_date, end_date, default_days=7, past_only=True, period=period, zone=state.settings.zone
    )
    org = await state.org_id(organization_id)
    await ctx.report_progress(0, total=3, message="updating the inbox index; response rate and drafts")

    async def rate() -> RateFigures | None:
        try:
            return rate_figures(
                window, await state.api.get_response_rate(org, start_date=window.start, end_date=window.end)
            )
        except HyperRepError:
            return None

    async def drafts() -> tuple[int, bool] | None:
        try:
            page = await state.api.list_message_drafts(org, limit=100)
        except HyperRepError:
            return None
        return sum(d.status == "saved" for d in page.data), page.next_cursor is not None

    idx = state.index(org)
    coverage, rate_fig, draft_count, organization = await gather(
        lambda: idx.ensure_fresh(
            window.start, budget_s=INDEX_BUDGET_S, progress=index_progress(ctx, 3, "updating the inbox index")
        ),
        rate,
        drafts,
        lambda: org_ref(state, org),
    )
    await ctx.report_progress(1, total=3, message="counting and listing who awaits our reply")
    tally = index.counts(idx.store, org, start=window.start, end=window.end)
    rows, awaiting_total = index.awaiting_reply(
        idx.store, org, start=window.start, end=window.end, sort=sort, limit=limit
    )
    await ctx.report_progress(2, total=3, message="names and pending reply drafts")
    # Names and pending drafts only for the conversations listed: one concurrent round for both.
    names, pending = await gather(
        lambda: row_contact_names(state, org, rows),
        lambda: map_bounded(lambda r: _draft_pending(state, org, r.conversation_id), rows, limit=FANOUT),
    )
    current = datetime.now(UTC)
    items = [
        AwaitingItem(
            conversation_id=r.conversation_id,
            contact_id=r.contact_id,
            contact_name=names.get(r.contact_id or ""),
            last_message_at=iso(r.last_message_at),
            modality=r.channel,
            gist=r.gist,
            waiting_since=iso(r.waiting_since),
            waited=records.waited(iso(r.waiting_since), current),
            has_pending_draft=has_draft,
        )
        for r, has_draft in zip(rows, pending, strict=True)
    ]
    await ctx.report_progress(3, total=3, message="done")

    notes = [] if coverage.complete else ["The index does not cover the whole window yet: counts may be low."]
    # Folder and channel names come from the API: one line each in the text as in the structured view.
    folders: Counter[str] = Counter()
    for name, n in tally.by_folder.items():
        folders[one_line(name) or "(none)"] += n
    unread_by_channel: Counter[str] = Counter()
    for name, n in tally.unread_by_channel.items():
        unread_by_channel[one_line(name) or "(none)"] += n
    w = Window(start_date=iso(window.start), end_date=iso(window.end))
    header = f"Inbox overview — {organization.name}, {window_text(w)}"
    by_channel = ", ".join(f"{k} {v}" for k, v in sorted(unread_by_channel.items()))
    summary = [
        join_fields(
            f"{tally.total} conversations active",
            f"{tally.unread} unread" + (f" ({by_channel})" if by_channel else ""),
            f"{tally.awaiting} awaiting our reply",
            "folders: " + ", ".join(f"{k} {v}" for k, v in folders.items()) if folders else None,
        ),
        f"Response rate: {rate_line(rate_fig)}" if rate_fig else "Response rate: unavailable right now.",
    ]
    if draft_count is not None:
        n, more = draft_count
        summary.append(f"Message drafts awaiting review: {n}{'+' if more else ''}")
    summary.append(f"({coverage.describe(current)})")
    order = "longest wait first" if sort == "longest_waiting" else "most recent first"

    def head(kept: int) -> str:
        shown = min(kept, len(items))
        awaiting = (
            f"Awaiting our reply (the customer wrote last) — {shown} of {awaiting_total} shown, {order}:"
            if tally.total
            else "No conversations in this window."
        )
        # The gists quote customers: framed as data, like a thread's messages.
        framing = [records.FRAMING] if items and kept else []
        return "\n".join([header, *summary, awaiting, *framing])

    lines = [
        "- "
        + join_fields(
            i.contact_name or "(unknown contact)",
            i.modality,
            i.waited and f"waiting {i.waited}",
            i.last_message_at and "last " + i.last_message_at[:16].replace("T", " ") + "Z",
            i.gist and f'"{i.gist}"',
            "reply draft pending review" if i.has_pending_draft else None,
            f"conversation_id={i.conversation_id}",
        )
        for i in items
    ]
    if tally.total and not items:
        lines.append("- none: every conversation in the window has our reply last")
    if awaiting_total > len(items):
        notes.append(
            f"{awaiting_total - len(items)} more await our reply: "
            + call(
                "list_conversations",
                awaiting_reply=True,
                sort=sort,
                period=window.period,
                start_date=None if window.period else w.start_date,
                end_date=None if window.period else w.end_date,
            )
        )
    first = next((i for i in items if not i.has_pending_draft), items[0] if items else None)
    suggestions = state.available(
        ([call("get_conversation_thread", conversation_id=first.conversation_id)] if first else [])
        + (
            [call("upsert_response_draft", conversation_id=first.conversation_id)]
            if first and not first.has_pending_draft
            else []
        )
        + ([call("list_message_drafts")] if draft_count and draft_count[0] else [])
    )
    return fitted_result(
        lambda limit: fit(
            head,
            lines,
            lambda _k: [*notes, *next_steps(suggestions)],
            state.settings.max_output_chars,
            cut_note="(output limit reached: {n} more awaiting our reply are not shown)",
            limit=limit,
        ),
        lambda kept: InboxOverviewOut(
            organization=organization,
            window=w,
            conversations=tally.total,
            by_folder=dict(folders),
            unread=tally.unread,
            unread_by_channel=dict(unread_by_channel),
            awaiting_total=tally.awaiting,
            awaiting_reply=items[:kept],
            awaiting_complete=coverage.complete,
            coverage=coverage.describe(current),
            response_rate=rate_fig,
            message_drafts_awaiting_review=draft_count[0] if draft_count else None,
            notes=notes,
            suggested_calls=suggestions,
        ),
        total=len(items),
        list_name="awaiting_reply",
        budget=state.settings.max_output_chars,
    )
