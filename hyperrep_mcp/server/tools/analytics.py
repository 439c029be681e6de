"""Analytics and the inbox overview: response rates, and "what needs attention" in one call."""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from hyperrep_mcp.api.client import iso
from hyperrep_mcp.api.errors import HyperRepError
from hyperrep_mcp.api.models import Conversation, Message, ResponseRate
from hyperrep_mcp.render import records
from hyperrep_mcp.render.layout import call, fit, join_fields, next_steps
from hyperrep_mcp.render.text import message_text
from hyperrep_mcp.render.views import AwaitingItem, InboxOverviewOut, RateFigures, ResponseRateOut, Window
from hyperrep_mcp.server.concurrency import gather, map_bounded
from hyperrep_mcp.server.registry import tool
from hyperrep_mcp.server.results import tool_result
from hyperrep_mcp.server.state import FANOUT, AppState
from hyperrep_mcp.server.tools.common import (
    EPOCH,
    DateWindow,
    EndDate,
    OrganizationId,
    StartDate,
    app,
    contact_names,
    date_range,
    latest_message,
    org_ref,
    walk,
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
    return tool_result(out, text)


# --- inbox overview ------------------------------------------------------------------------------

# Conversations whose last message is checked per call, in concurrent batches, within a soft time budget.
MAX_CHECKED = 60
CHECK_BATCH = 20
MAX_FIRST_BATCH = 40
CHECK_BUDGET_S = 20.0
MAX_WINDOW_CONVERSATIONS = 5000
MAX_PARTITIONS = 28
RECENT_SLACK = timedelta(hours=1)


@dataclass
class Checked:
    conversation: Conversation
    last: Message | None
    has_draft: bool
    failed: bool = False  # HyperRep did not answer for this one: unknown, not "not awaiting"


def window_slices(window: DateWindow, now: datetime) -> list[DateWindow]:
    """The window in half days (at most MAX_PARTITIONS, then longer), oldest first. When it ends at
    the present, its newest slice is cut in quarters (3 more requests): conversations are listed by
    their last activity, and the ones still going pile up in the last hours (a page of 100
    overflowing there would cost a second, sequential round trip)."""
    halves = max(1, math.ceil(window.length / timedelta(hours=12)))
    parts = min(MAX_PARTITIONS, halves)
    step = window.length / parts
    cuts = [window.start + step * i for i in range(parts)] + [window.end]  # exact end: no drift
    newest = DateWindow(cuts[-2], cuts[-1])
    if now - window.end < RECENT_SLACK and newest.length >= timedelta(hours=4):
        quarter = newest.length / 4
        cuts[-1:] = [newest.start + quarter * i for i in range(1, 4)] + [window.end]
    return [DateWindow(a, b) for a, b in itertools.pairwise(cuts)]


async def _window_conversations(
    state: AppState, org: str, window: DateWindow
) -> tuple[list[Conversation], bool]:
    """Every conversation active in the window. Cursor paging is sequential, so the window is cut into
    slices fetched concurrently (`window_slices`): the round trips then scale with the busiest slice
    (one page of 100, usually), not with the week."""
    slices = window_slices(window, datetime.now(UTC))
    per_slice = MAX_WINDOW_CONVERSATIONS // len(slices)

    async def one(s: DateWindow):
        async def fetch(api_cursor: str | None, size: int):
            return await state.api.list_conversations(
                org, limit=size, cursor=api_cursor, start_date=s.start, end_date=s.end
            )

        return await walk(fetch, None, limit=per_slice, page_size=100, max_scan=per_slice)

    walks = await map_bounded(one, slices, limit=FANOUT)
    seen: dict[str, Conversation] = {}
    for w in walks:
        for c in w.items:
            seen.setdefault(c.conversation_id, c)
    complete = all(w.complete and w.end is None for w in walks)
    return sorted(seen.values(), key=lambda c: c.last_activity_at or EPOCH, reverse=True), complete


def first_batch_size(candidates: list[Conversation], limit: int) -> int:
    """How many of the newest conversations to check at once, first. An unread conversation almost
    always awaits our reply (the customer wrote and nobody opened it), so the newest conversations up
    to the limit-th unread one likely hold the `limit` we look for: checking them together saves a
    second, sequential batch when unread ones are sparse, and costs nothing extra when they are dense.
    Between CHECK_BATCH and MAX_FIRST_BATCH; the order checked is still newest first."""
    unread = [i for i, c in enumerate(candidates[:MAX_FIRST_BATCH]) if c.is_read is False]
    reach = unread[limit - 1] + 1 if len(unread) >= limit else MAX_FIRST_BATCH
    return max(CHECK_BATCH, min(reach, MAX_FIRST_BATCH))


async def _check(state: AppState, org: str, conv: Conversation) -> Checked:
    """The conversation's latest message (a short look-back from its last activity). A failure marks
    it unknown instead of failing the overview."""
    try:
        return Checked(conv, await latest_message(state, org, conv), False)
    except HyperRepError:
        return Checked(conv, None, False, failed=True)


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
    limit: Annotated[
        int, Field(ge=1, le=50, description="How many awaiting conversations to list (1-50)")
    ] = 10,
    organization_id: OrganizationId = None,
) -> Annotated[CallToolResult, InboxOverviewOut]:
    """The one-call picture of what needs attention (default: the last 7 days): conversations by folder,
    unread count, the most recent conversations awaiting our reply (the customer wrote last) with the
    contact's name and a one-line gist, the response rate, and message drafts awaiting review.

    Start here for "who is waiting on us?" or "what happened this week?"; then read a conversation with
    get_conversation_thread and draft a reply with upsert_response_draft. Example: inbox_overview().
    """
    state = app(ctx)
    window = date_range(
        start_date, end_date, default_days=7, past_only=True, period=period, zone=state.settings.zone
    )
    org = await state.org_id(organization_id)
    await ctx.report_progress(0, total=3, message="fetching conversations, response rate and drafts")

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

    (convs, listed_all), rate_fig, draft_count, organization = await gather(
        lambda: _window_conversations(state, org, window), rate, drafts, lambda: org_ref(state, org)
    )
    await ctx.report_progress(1, total=3, message="checking which recent conversations await our reply")

    # Most recent activity first: checking in that order until `limit` are found makes them exactly
    # the most recent conversations awaiting a reply (an unread-first order would skip a read but
    # unanswered conversation from an hour ago in favour of an older unread one).
    candidates = convs
    awaiting: list[Checked] = []
    checked = failed = 0
    started = time.monotonic()
    notes: list[str] = []
    while checked < min(len(candidates), MAX_CHECKED) and len(awaiting) < limit:
        if time.monotonic() - started > CHECK_BUDGET_S:
            notes.append("HyperRep answered slowly, so fewer conversations were checked than usual.")
            break
        size = first_batch_size(candidates, limit) if not checked else CHECK_BATCH
        batch = candidates[checked : checked + size]
        results = await map_bounded(lambda c: _check(state, org, c), batch, limit=len(batch) or 1)
        checked += len(batch)
        failed += sum(r.failed for r in results)
        awaiting += [r for r in results if r.last is not None and r.last.inbound]
    if failed:
        notes.append(
            f"{failed} of the conversations checked could not be read (HyperRep errors), so the list may "
            "miss some; call inbox_overview again in a moment."
        )
    awaiting.sort(key=lambda r: r.last.timestamp or EPOCH if r.last else EPOCH, reverse=True)
    awaiting = awaiting[:limit]
    await ctx.report_progress(2, total=3, message="resolving contact names")

    # Names and pending drafts only for the conversations listed: one concurrent round for both.
    contacts, pending = await gather(
        lambda: contact_names(state, org, (r.conversation.contact_id for r in awaiting)),
        lambda: map_bounded(
            lambda r: _draft_pending(state, org, r.conversation.conversation_id), awaiting, limit=FANOUT
        ),
    )
    for r, has_draft in zip(awaiting, pending, strict=True):
        r.has_draft = has_draft
    items = []
    for r in awaiting:
        contact = contacts.get(r.conversation.contact_id or "")
        last = r.last
        body = message_text(last.body_html, last.body_text, concise=True).body if last else ""
        items.append(
            AwaitingItem(
                conversation_id=r.conversation.conversation_id,
                contact_id=r.conversation.contact_id,
                contact_name=records.contact_name(records.contact_view(contact)) if contact else None,
                last_message_at=iso(last.timestamp) if last else None,
                modality=last.modality if last else None,
                gist=records.message_gist(body) or None,
                has_pending_draft=r.has_draft,
            )
        )
    await ctx.report_progress(3, total=3, message="done")

    folders = Counter((c.folder or "(none)") for c in convs)
    unread = sum(c.is_read is False for c in convs)
    complete = listed_all and checked >= len(convs)
    if not listed_all:
        notes.append(
            f"The window holds more than {MAX_WINDOW_CONVERSATIONS} conversations; counts cover the first {len(convs)}."
        )
    w = Window(start_date=iso(window.start), end_date=iso(window.end))
    header = f"Inbox overview — {organization.name}, {window_text(w)}"
    summary = [
        join_fields(
            f"{len(convs)} conversations active",
            f"{unread} unread",
            "folders: " + ", ".join(f"{k} {v}" for k, v in folders.most_common()) if folders else None,
        ),
        f"Response rate: {rate_line(rate_fig)}" if rate_fig else "Response rate: unavailable right now.",
    ]
    if draft_count is not None:
        n, more = draft_count
        summary.append(f"Message drafts awaiting review: {n}{'+' if more else ''}")

    def head(kept: int) -> str:
        awaiting = (
            f"Awaiting our reply (the customer wrote last) — {min(kept, len(items))} shown, newest first; "
            f"checked the latest message of the {checked} most recently active of {len(convs)} conversations:"
            if convs
            else "No conversations in this window."
        )
        return "\n".join([header, *summary, awaiting])

    lines = [
        "- "
        + join_fields(
            i.contact_name or "(unknown contact)",
            i.modality,
            i.last_message_at and i.last_message_at[:16].replace("T", " ") + "Z",
            i.gist and f'"{i.gist}"',
            "reply draft pending review" if i.has_pending_draft else None,
            f"conversation_id={i.conversation_id}",
        )
        for i in items
    ]
    if convs and not items:
        lines.append("- none among the conversations checked")
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
    text, kept = fit(
        head,
        lines,
        lambda _k: [*notes, *next_steps(suggestions)],
        state.settings.max_output_chars,
        cut_note="(output limit reached: the {n} least recent awaiting our reply are not shown)",
    )
    out = InboxOverviewOut(
        organization=organization,
        window=w,
        conversations=len(convs),
        by_folder=dict(folders),
        unread=unread,
        awaiting_reply=items[:kept],
        awaiting_checked=checked,
        awaiting_complete=complete,
        response_rate=rate_fig,
        message_drafts_awaiting_review=draft_count[0] if draft_count else None,
        notes=notes,
        suggested_calls=suggestions,
    )
    return tool_result(out, text)
