"""inbox_overview: what needs attention in one call (counts, who awaits our reply, response rate, drafts)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from hyperrep_mcp import index
from hyperrep_mcp.api.client import iso
from hyperrep_mcp.api.errors import HyperRepError
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, join_fields, next_steps, when
from hyperrep_mcp.render.text import one_line
from hyperrep_mcp.render.views import AwaitingItem, InboxOverviewOut, OrgRef, RateFigures
from hyperrep_mcp.server.concurrency import gather, map_bounded
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import fitted_result
from hyperrep_mcp.server.state import FANOUT, AppState
from hyperrep_mcp.server.tools.common import (
    EndDate,
    OrganizationId,
    StartDate,
    app,
    index_progress,
    now,
    org_ref,
    rate_figures,
    rate_line,
    resolve_window,
    row_contact_names,
    window_view,
)
from hyperrep_mcp.server.tools.index_common import SYNC_BUDGET_S
from hyperrep_mcp.server.tools.periods import DateWindow, Period

OverviewSort = Annotated[
    Literal["longest_waiting", "recent"],
    Field(description="Order of the awaiting list"),
]


EXAMPLE: dict = {"period": "this_week"}


@tool("Inbox overview")
async def inbox_overview(
    ctx: Context,
    start_date: StartDate = None,
    end_date: EndDate = None,
    period: Period = None,
    sort: OverviewSort = "longest_waiting",
    limit: Annotated[int, Field(ge=1, le=50, description="Awaiting conversations to list")] = 10,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, InboxOverviewOut]:
    """What needs attention in one call (default last 7 days): counts (unread by channel, by folder, awaiting reply), who awaits our reply (customer wrote last) with wait and gist, response rate, drafts to review.

    Start here for "who is waiting on us?" or "what happened this week?"; full list: list_conversations(awaiting_reply=true). Example: inbox_overview(period="this_week")
    """
    # take
    state = app(ctx)
    window = resolve_window(period, start_date, end_date, default="last_7_days", zone=state.settings.zone)
    org = await state.org_id(organization_id)
    # fetch: the index brought up to date, with the rate and the drafts asked meanwhile
    await ctx.report_progress(0, total=3, message="updating the inbox index; response rate and drafts")
    idx = state.index(org)
    coverage, rate, drafts, organization = await gather(
        lambda: idx.ensure_fresh(
            window.start, budget_s=SYNC_BUDGET_S, progress=index_progress(ctx, 3, "updating the inbox index")
        ),
        lambda: _rate(state, org, window),
        lambda: _saved_message_drafts(state, org),
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
    await ctx.report_progress(3, total=3, message="done")
    # compute
    current = now()
    items = [
        _awaiting_item(r, names.get(r.contact_id or ""), has_draft, current)
        for r, has_draft in zip(rows, pending, strict=True)
    ]
    overview = Overview(
        organization=organization,
        window=window,
        sort=sort,
        tally=tally,
        awaiting=items,
        awaiting_total=awaiting_total,
        coverage=coverage.describe(current, state.settings.zone),
        coverage_complete=coverage.complete,
        rate=rate,
        drafts=drafts,
        suggestions=state.available(_suggestions(items, drafts)),
    )
    # show
    return shown(overview, budget=state.settings.max_output_chars)


async def _rate(state: AppState, org: str, window: DateWindow) -> RateFigures | None:
    """The API's response rate for the window; None when it cannot say (the overview goes on)."""
    try:
        return rate_figures(
            window, await state.api.get_response_rate(org, start_date=window.start, end_date=window.end)
        )
    except HyperRepError:
        return None


async def _saved_message_drafts(state: AppState, org: str) -> tuple[int, bool] | None:
    """Message drafts saved for review among the latest 100, and whether there are more to count."""
    try:
        page = await state.api.list_message_drafts(org, limit=100)
    except HyperRepError:
        return None
    return sum(d.status == "saved" for d in page.data), page.next_cursor is not None


async def _draft_pending(state: AppState, org: str, conversation_id: str) -> bool:
    """Whether a reply draft awaits review; asked only for the conversations listed as awaiting."""
    try:
        page = await state.api.list_response_drafts(org, conversation_id, limit=5)
    except HyperRepError:
        return False
    return any(d.status == "saved" for d in page.data)


def _awaiting_item(
    r: index.ConversationRow, name: str | None, has_draft: bool, current: datetime
) -> AwaitingItem:
    return AwaitingItem(
        conversation_id=r.conversation_id,
        contact_id=r.contact_id,
        contact_name=name,
        last_message_at=iso(r.last_message_at),
        modality=r.channel,
        gist=r.gist,
        waiting_since=iso(r.waiting_since),
        waited=records.waited(iso(r.waiting_since), current),
        has_pending_draft=has_draft,
    )


def _suggestions(items: list[AwaitingItem], drafts: tuple[int, bool] | None) -> list[str]:
    """Read and answer the first one waiting without a reply draft (else the first), then the drafts."""
    first = next((i for i in items if not i.has_pending_draft), items[0] if items else None)
    return (
        ([call("get_conversation_thread", conversation_id=first.conversation_id)] if first else [])
        + (
            [call("upsert_response_draft", conversation_id=first.conversation_id)]
            if first and not first.has_pending_draft
            else []
        )
        + ([call("list_message_drafts")] if drafts and drafts[0] else [])
    )


@dataclass(frozen=True)
class Overview:
    """What the overview found, before any text: the input of `shown`."""

    organization: OrgRef
    window: DateWindow
    sort: str
    tally: index.InboxCounts
    awaiting: list[AwaitingItem]  # the listed ones (at most `limit`)
    awaiting_total: int  # all awaiting our reply in the window
    coverage: str  # what the index covered, in words
    coverage_complete: bool
    rate: RateFigures | None  # None: the API could not say
    drafts: tuple[int, bool] | None  # saved message drafts, and whether there are more than counted
    suggestions: list[str]


def shown(o: Overview, *, budget: int) -> CallToolResult:
    """The whole result: a header, the counts, the rate and drafts, the coverage, then one line per
    conversation awaiting our reply, with a note for the ones not listed; text and structured output
    cut alike."""
    items, tally, window, sort = o.awaiting, o.tally, o.window, o.sort
    notes = (
        [] if o.coverage_complete else ["The index does not cover the whole window yet: counts may be low."]
    )
    # Folder and channel names come from the API: one line each in the text as in the structured view.
    folders: Counter[str] = Counter()
    for name, n in tally.by_folder.items():
        folders[one_line(name) or "(none)"] += n
    unread_by_channel: Counter[str] = Counter()
    for name, n in tally.unread_by_channel.items():
        unread_by_channel[one_line(name) or "(none)"] += n
    w = window_view(window)
    header = f"Inbox overview — {o.organization.name}, {window.text()}"
    by_channel = ", ".join(f"{k} {v}" for k, v in sorted(unread_by_channel.items()))
    summary = [
        join_fields(
            f"{tally.total} conversations active",
            f"{tally.unread} unread" + (f" ({by_channel})" if by_channel else ""),
            f"{tally.awaiting} awaiting our reply",
            "folders: " + ", ".join(f"{k} {v}" for k, v in folders.items()) if folders else None,
        ),
        f"Response rate: {rate_line(o.rate)}" if o.rate else "Response rate: unavailable right now.",
    ]
    if o.drafts is not None:
        n, more = o.drafts
        summary.append(f"Message drafts awaiting review: {n}{'+' if more else ''}")
    summary.append(f"({o.coverage})")
    order = "longest wait first" if sort == "longest_waiting" else "most recent first"

    def head(kept: int) -> str:
        listed = min(kept, len(items))
        awaiting = (
            f"Awaiting our reply (the customer wrote last) — {listed} of {o.awaiting_total} shown, {order}:"
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
            i.last_message_at and f"last {when(i.last_message_at, window.zone)}",
            i.gist and f'"{i.gist}"',
            "reply draft pending review" if i.has_pending_draft else None,
            f"conversation_id={i.conversation_id}",
        )
        for i in items
    ]
    if tally.total and not items:
        lines.append("- none: every conversation in the window has our reply last")
    if o.awaiting_total > len(items):
        notes.append(
            f"{o.awaiting_total - len(items)} more await our reply: "
            + call(
                "list_conversations",
                awaiting_reply=True,
                sort=sort,
                period=window.period,
                start_date=None if window.period else w.start_date,
                end_date=None if window.period else w.end_date,
            )
        )
    return fitted_result(
        lambda limit: fit(
            head,
            lines,
            lambda _k: [*notes, *next_steps(o.suggestions)],
            budget,
            cut_note="(output limit reached: {n} more awaiting our reply are not shown)",
            limit=limit,
        ),
        lambda kept: InboxOverviewOut(
            organization=o.organization,
            window=w,
            conversations=tally.total,
            by_folder=dict(folders),
            unread=tally.unread,
            unread_by_channel=dict(unread_by_channel),
            awaiting_total=tally.awaiting,
            awaiting_reply=items[:kept],
            awaiting_complete=o.coverage_complete,
            coverage=o.coverage,
            response_rate=o.rate,
            message_drafts_awaiting_review=o.drafts[0] if o.drafts else None,
            notes=notes,
            suggested_calls=o.suggestions,
        ),
        total=len(items),
        list_name="awaiting_reply",
        budget=budget,
    )
