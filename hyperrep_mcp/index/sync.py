"""Keeping one organization's index up to date (SPEC 8): incremental, bounded, resumable, shared.

A sync lists the conversations active since the last one (the whole window the first time), then
reads the messages of only those whose `last_activity_at` changed, with at most `MAX_IN_FLIGHT`
requests at once. The API client already retries 429 (honouring Retry-After) and 5xx; what still
fails is left marked stale and read again by a later round or the next sync, so a flaky API delays
the index but never leaves a thread half stored, lost or doubled. One sync runs per organization at
a time; callers that arrive meanwhile wait on the same one, each for its own time budget, and a
sync that outlives a call goes on in the background for the next.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import anyio
import anyio.lowlevel
from anyio.abc import TaskGroup

from hyperrep_mcp.api import HyperRepClient, HyperRepError
from hyperrep_mcp.api.client import current_stats, track_calls
from hyperrep_mcp.api.errors import UnreachableError, UpstreamTimeoutError
from hyperrep_mcp.api.models import Conversation, Message
from hyperrep_mcp.index.store import Store, StoredMessage, channel_of, dt, ts
from hyperrep_mcp.render.layout import when
from hyperrep_mcp.render.text import message_text, strip_invisible

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 8
PAGE = 100
# The next listing starts this much before the last one did: clock skew and late writes upstream.
OVERLAP_S = 120.0
# Rounds a sync gives conversations whose messages failed to load (each after the client's retries).
ROUNDS = 4
# Read state and folder moves do not change last_activity_at, so the incremental listing cannot see
# them: the asked window is listed whole again when its last full listing is older than this. Slices
# are walked at once, so that costs about one round trip more than an incremental listing.
FULL_LISTING_EVERY_S = 60.0
# A listing longer than this is cut into slices walked at once (at most MAX_SLICES).
SLICE_S = 7 * 86400.0
MAX_SLICES = 16
# A window listed again whole is cut where the stored conversations put about this many per slice
# (room below PAGE for new ones), so the slices, walked at once, take about one page each.
RELIST_PER_SLICE = 80
MAX_RELIST_SLICES = 32
# Contacts and companies have no change marker: listed again when older than this.
DIRECTORY_EVERY_S = 900.0

Progress = Callable[[float, float | None, str], Awaitable[None]]


@dataclass
class Coverage:
    """What an answer from the index covers: say it in every answer (SPEC 8)."""

    window_start: datetime | None  # earliest activity a complete listing has reached
    window_days: int  # the index's reach (HYPERREP_INDEX_DAYS)
    conversations: int
    messages: int
    last_synced: datetime | None  # when the last complete listing started (local clock)
    pending: int  # conversations whose messages are not stored (yet)
    syncing: bool  # a sync is still running in the background
    complete: bool  # the asked window is fully listed and every message stored
    error: str | None = None  # why the last sync stopped short, if it did
    listed: bool = True  # the asked window is fully listed (its messages may still be pending)
    # When folders and read state were last listed for the whole asked window (None: not yet).
    states_listed: datetime | None = None

    def describe(self, now: datetime | None = None, zone: tzinfo = UTC) -> str:
        """One line for a header: window, conversations, messages, freshness, gaps; the window's
        start read in `zone` (HYPERREP_TIMEZONE)."""
        current = now or datetime.now(UTC)
        parts = []
        held = f"{self.conversations:,} conversations, {self.messages:,} messages"
        if self.window_start is not None:
            parts += [f"index covers activity since {when(self.window_start, zone)}", held]
        elif self.conversations:
            # A first sync cut short by the call's budget: say how far it got, not "nothing".
            parts.append(f"index still listing the window for the first time: so far {held}")
        else:
            parts += ["index not yet listed", held]
        if self.last_synced is not None:
            fresh = _age(current, self.last_synced)
            parts.append(f"synced {fresh}")
            # New activity shows at once; folder moves and read state only with a whole listing.
            if self.states_listed is None:
                parts.append("folders/read state not listed yet")
            elif (self.last_synced - self.states_listed).total_seconds() >= 10:  # not for a blink
                parts.append(f"folders/read state listed {_age(current, self.states_listed, seconds=True)}")
        if not self.complete:
            gaps = []
            if not self.listed and self.window_start is not None:
                gaps.append("the rest of the window not listed yet")
            if self.pending:
                gaps.append(f"{self.pending:,} conversations' messages not read yet")
            gap = ", ".join(gaps) or "listing incomplete"
            parts.append(
                gap + ("; sync continues in the background, ask again shortly" if self.syncing else "")
            )
        if self.error:
            parts.append(f"last sync stopped short: {self.error}")
        return " · ".join(parts)


def _age(now: datetime, then: datetime, *, seconds: bool = False) -> str:
    age = max(0, int((now - then).total_seconds()))
    if age < 60:
        return f"{age} s ago" if seconds else "just now"
    return f"{age // 60} min ago" if age < 3600 else f"{age // 3600} h ago"


@dataclass
class SyncReport:
    """What one sync did (for the bench and logs)."""

    requests: int = 0
    retries: int = 0
    listing_pages: int = 0
    conversations_listed: int = 0
    conversations_fetched: int = 0
    message_requests: int = 0
    failed: int = 0
    seconds: float = 0.0
    full_listing: bool = False
    deleted: int = 0  # stored conversations a full listing no longer returned (deleted upstream)
    directory_error: str | None = None  # contacts/companies not refreshed (the old ones kept)


@dataclass
class _Run:
    since: float
    done: anyio.Event = field(default_factory=anyio.Event)
    listeners: list[Progress] = field(default_factory=list)
    report: SyncReport = field(default_factory=SyncReport)
    error: BaseException | None = None


class OrgIndex:
    """One organization's index: its store rows, its sync, its coverage."""

    def __init__(
        self, org: str, store: Store, api: HyperRepClient, task_group: TaskGroup, *, days: int
    ) -> None:
        self.org = org
        self.store = store
        self.api = api
        self.days = days
        self._tg = task_group
        self._run: _Run | None = None
        self._last_error: str | None = None
        self.last_report: SyncReport | None = None
        self._limiter = anyio.Semaphore(MAX_IN_FLIGHT)

    # --- public --------------------------------------------------------------------------------

    def reach_start(self, now: datetime | None = None) -> datetime:
        """The earliest activity the index ever covers (now minus HYPERREP_INDEX_DAYS)."""
        return (now or datetime.now(UTC)) - timedelta(days=self.days)

    async def ensure_fresh(
        self,
        start: datetime | None = None,
        *,
        budget_s: float = 20.0,
        progress: Progress | None = None,
    ) -> Coverage:
        """Bring the index up to date for activity since `start` (default: its whole reach).

        Waits at most `budget_s`; a sync still running then goes on in the background and the
        returned coverage says how far it got. Raises the API's error when the listing itself fails
        and nothing is stored to answer from (e.g. a wrong key, an unknown organization).
        """
        deadline = time.monotonic() + budget_s
        since = max(ts(start) if start else 0.0, ts(self.reach_start()) or 0.0)
        while True:
            run = self._run
            if run is None:
                run = self._start(since)
            elif run.since > since + OVERLAP_S:  # the running sync covers less than asked: then ours
                await self._wait(run, deadline, progress)
                if not run.done.is_set():
                    break
                continue
            await self._wait(run, deadline, progress)
            if run.done.is_set() and run.error is not None and self._nothing_stored():
                raise run.error
            break
        return self.coverage(start)

    def coverage(self, start: datetime | None = None) -> Coverage:
        state = self.store.sync_state(self.org)
        conversations, messages = self.store.counts(self.org)
        pending = len(self.store.stale_conversations(self.org))
        covered_from = state["covered_from"]
        wanted = max(ts(start) if start else 0.0, ts(self.reach_start()) or 0.0)
        listed = covered_from is not None and covered_from <= wanted + OVERLAP_S
        full_from = state["full_listed_from"]
        states = (
            state["last_full_listing"] if full_from is not None and full_from <= wanted + OVERLAP_S else None
        )
        return Coverage(
            window_start=dt(covered_from),
            window_days=self.days,
            conversations=conversations,
            messages=messages,
            last_synced=dt(state["last_listed"]),
            states_listed=dt(states),
            pending=pending,
            syncing=self._run is not None,
            complete=listed and pending == 0,
            error=self._last_error,
            listed=listed,
        )

    @property
    def syncing(self) -> bool:
        return self._run is not None

    async def wait_idle(self) -> None:
        """Until no sync runs (tests, the bench, shutdown)."""
        while self._run is not None:
            await self._run.done.wait()

    # --- the sync ------------------------------------------------------------------------------

    def _nothing_stored(self) -> bool:
        return self.store.counts(self.org)[0] == 0

    def _start(self, since: float) -> _Run:
        run = _Run(since=since)
        self._run = run
        self._tg.start_soon(self._sync, run)
        return run

    async def _wait(self, run: _Run, deadline: float, progress: Progress | None) -> None:
        if progress is not None:
            run.listeners.append(progress)
        try:
            with anyio.move_on_after(max(0.0, deadline - time.monotonic())):
                await run.done.wait()
        finally:
            if progress is not None and progress in run.listeners:
                run.listeners.remove(progress)

    async def _tell(self, run: _Run, done: float, total: float | None, message: str) -> None:
        for listener in list(run.listeners):
            try:
                await listener(done, total, message)
            except Exception:  # a caller that went away must not stop the sync
                if listener in run.listeners:
                    run.listeners.remove(listener)

    async def _sync(self, run: _Run) -> None:
        started = time.monotonic()
        stats = track_calls()  # this task's own upstream counters
        try:
            try:
                await self._sync_body(run)
            except ExceptionGroup as group:  # concurrent requests failing alike: report the first
                raise _first_error(group) from None
        except HyperRepError as exc:
            run.error = exc
            self._last_error = exc.message
            log.warning("index sync of %s stopped: %s", self.org, exc.message)
        except Exception as exc:  # never let the background task take the server down
            run.error = exc
            self._last_error = "internal error (see the server log)"
            log.exception("index sync of %s failed", self.org)
        finally:
            run.report.requests = stats.requests
            run.report.retries = stats.retries
            run.report.seconds = time.monotonic() - started
            self.last_report = run.report
            self._run = None
            run.done.set()

    async def _call(self, fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        async with self._limiter:  # every request of a sync, whatever its kind, counts against the bound
            return await fn(*args, **kwargs)

    async def _sync_body(self, run: _Run) -> None:
        org, store, report = self.org, self.store, run.report
        # This sync's own outcome: a reason noted by an earlier one (set below) is not carried over.
        self._last_error = None
        now = time.time()
        state = store.sync_state(org)
        covered_from, last_listed = state["covered_from"], state["last_listed"]
        full_from, last_full = state["full_listed_from"], state["last_full_listing"]
        full = (
            covered_from is None
            or run.since < covered_from
            or last_listed is None
            or last_full is None
            or full_from is None
            or run.since < full_from - OVERLAP_S
            or now - last_full > FULL_LISTING_EVERY_S
        )
        reach = ts(self.reach_start()) or 0.0
        # A full listing covers the asked window whole (what lies before it keeps its last listing;
        # coverage says from when folders and read state are current).
        list_from = run.since if full else (last_listed - OVERLAP_S)
        list_from = max(list_from, reach)
        listed: set[str] = set()
        report.full_listing = full

        fetched = 0
        send, receive = anyio.create_memory_object_stream[tuple[str, float | None]](max_buffer_size=10_000)
        failed: list[tuple[str, float | None]] = []
        listing_done = False
        queued: set[str] = set()

        async def progress(message: str) -> None:
            # One rising count (pages listed + conversations read) so progress never goes backwards.
            done = report.listing_pages + fetched
            total = report.listing_pages + len(queued) if listing_done else None
            await self._tell(run, done, total, message)

        # Cleaning bodies (HTML parsing) is the sync's main CPU cost: a task of its own does it, so a
        # worker sends its next request as soon as an answer arrives instead of after cleaning it.
        to_clean, cleaning = anyio.create_memory_object_stream[tuple[str, list[Message], float | None]](
            max_buffer_size=10_000
        )

        async def fetch_one(cid: str, activity: float | None) -> None:
            try:
                messages = await self._messages(cid, report)
            except HyperRepError as exc:
                if exc.retryable:
                    failed.append((cid, activity))
                    return
                if getattr(exc, "status", None) == 404:  # gone upstream: forget it, messages and all
                    store.delete_conversation(org, cid)
                    return
                raise
            if to_clean is not None:
                await to_clean.send((cid, messages, activity))
            else:
                await clean_one(cid, messages, activity)

        async def clean_one(cid: str, messages: list[Message], activity: float | None) -> None:
            nonlocal fetched
            store.replace_messages(org, cid, [_stored(m) for m in messages], activity)
            fetched += 1
            report.conversations_fetched += 1
            if fetched % 10 == 0 or listing_done:
                await progress(f"index: read {fetched} of {len(queued)} conversations")

        async def worker() -> None:
            async for cid, activity in receive:
                await fetch_one(cid, activity)

        async def cleaner() -> None:
            async for cid, messages, activity in cleaning:
                await clean_one(cid, messages, activity)
                await anyio.lowlevel.checkpoint()  # let answers that arrived meanwhile send the next requests

        async def walk_slice(since: float, until: float | None) -> None:
            cursor: str | None = None
            while True:
                page = await self._listing_page(since, until, cursor, report)
                rows = [_conversation_row(c) for c in page.data]
                report.conversations_listed += len(rows)
                listed.update(r["conversation_id"] for r in rows)
                stale = store.upsert_conversations(org, rows)
                activity = {r["conversation_id"]: r["last_activity_at"] for r in rows}
                for cid in stale:
                    if cid not in queued:
                        queued.add(cid)
                        await send.send((cid, activity[cid]))
                await progress(f"index: listed {report.conversations_listed} conversations")
                cursor = page.next_cursor
                if cursor is None:
                    return

        async def lister() -> None:
            nonlocal listing_done
            async with send:
                # Conversations left stale by an earlier sync go first: they need reading anyway.
                for cid, activity in store.stale_conversations(org):
                    queued.add(cid)
                    await send.send((cid, activity))
                cuts = store.activity_cuts(org, list_from, now, RELIST_PER_SLICE) if full else []
                if 0 < len(cuts) < MAX_RELIST_SLICES:
                    bounds = [list_from, *cuts]
                    parts = [(a, b) for a, b in zip(bounds, [*cuts, None], strict=True)]
                else:
                    parts = _slices(list_from, now)
                async with anyio.create_task_group() as slices:
                    for since, until in parts:
                        slices.start_soon(walk_slice, since, until)
                listing_done = True

        async def fetchers() -> None:
            async with to_clean, anyio.create_task_group() as tg:
                tg.start_soon(lister)
                tg.start_soon(self._directory_in_sync, report)
                for _ in range(MAX_IN_FLIGHT):
                    tg.start_soon(worker)

        async with anyio.create_task_group() as outer:
            outer.start_soon(cleaner)
            outer.start_soon(fetchers)
        to_clean = None  # retry rounds below clean inline

        if full:
            # The listing finished cleanly (a failed page raises before here), so a stored
            # conversation in its range that it did not return was deleted upstream.
            report.deleted = len(store.delete_unlisted(org, list_from, now, listed))
        store.set_sync_state(
            org,
            covered_from=min(list_from, covered_from) if covered_from is not None else list_from,
            last_listed=now,
            **({"last_full_listing": now, "full_listed_from": list_from} if full else {}),
        )
        # Further rounds for what failed even after the client's retries.
        for _ in range(ROUNDS - 1):
            if not failed:
                break
            retry, failed = failed, []
            await anyio.sleep(0.5)
            async with anyio.create_task_group() as tg:
                for cid, activity in retry:
                    tg.start_soon(fetch_one, cid, activity)
        report.failed = len(failed)
        notes = []
        if failed:
            notes.append(f"{len(failed)} conversations could not be read (HyperRep errors)")
        if report.directory_error:
            notes.append(report.directory_error)
        self._last_error = "; ".join(notes) or None
        store.prune(org, reach)
        await self._contacts_of_new_conversations(report)

    async def _listing_page(
        self, since: float, until: float | None, cursor: str | None, report: SyncReport
    ) -> Any:
        for attempt in range(ROUNDS):
            try:
                page = await self._call(
                    self.api.list_conversations,
                    self.org,
                    limit=PAGE,
                    cursor=cursor,
                    start_date=dt(since),
                    end_date=dt(until),
                )
                report.listing_pages += 1
                return page
            except HyperRepError as exc:
                # An API that hangs or cannot be reached has had the client's retries already: more
                # rounds would only hold the caller (a failing directory used to cut this short).
                hopeless = isinstance(exc, UpstreamTimeoutError | UnreachableError)
                if not exc.retryable or hopeless or attempt == ROUNDS - 1:
                    raise
                await anyio.sleep(0.5 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _messages(self, cid: str, report: SyncReport) -> list[Message]:
        out: list[Message] = []
        cursor: str | None = None
        while True:
            page = await self._call(self.api.list_messages, self.org, cid, limit=PAGE, cursor=cursor)
            report.message_requests += 1
            out.extend(page.data)
            cursor = page.next_cursor
            if cursor is None:
                return out

    async def _directory(self, report: SyncReport) -> None:
        """Contacts and companies, listed whole when older than DIRECTORY_EVERY_S."""
        synced = self.store.sync_state(self.org)["directory_synced"]
        if synced is not None and time.time() - synced < DIRECTORY_EVERY_S:
            return
        started = time.time()
        contacts = await self._all(lambda c: self.api.list_contacts(self.org, limit=PAGE, cursor=c))
        companies = await self._all(lambda c: self.api.list_companies(self.org, limit=PAGE, cursor=c))
        self.store.replace_directory(
            self.org,
            [_contact_row(c) for c in contacts],
            [c.model_dump(include={"company_id", "name", "domain"}) for c in companies],
        )
        self.store.set_sync_state(self.org, directory_synced=started)

    async def _directory_in_sync(self, report: SyncReport) -> None:
        """The directory during a sync: its failure keeps the contacts and companies stored before
        and is noted, never cancelling the conversations' listing and reading beside it."""
        try:
            await self._directory(report)
        except HyperRepError as exc:
            report.directory_error = f"contacts/companies not refreshed ({exc.message})"
            log.warning("index directory of %s not refreshed: %s", self.org, exc.message)

    async def ensure_directory(self, *, budget_s: float = 20.0) -> bool:
        """Contacts and companies up to date (without reading messages); False when the budget ran out."""
        with anyio.move_on_after(budget_s):
            await self._directory(SyncReport())
            return True
        return False

    async def _all(self, fetch: Callable[[str | None], Awaitable[Any]]) -> list[Any]:
        items: list[Any] = []
        cursor: str | None = None
        while True:
            page = await self._call(fetch, cursor)
            items.extend(page.data)
            cursor = page.next_cursor
            if cursor is None:
                return items

    async def _contacts_of_new_conversations(self, report: SyncReport) -> None:
        """A contact created after the directory was listed: read it alone (rare, bounded)."""
        missing = sorted(
            self.store.conversation_contact_ids(self.org) - self.store.known_contact_ids(self.org)
        )
        if not missing or len(missing) > 50:
            return
        found = []

        async def one(cid: str) -> None:
            try:
                found.append(await self._call(self.api.get_contact, self.org, cid))
            except HyperRepError:
                return

        async with anyio.create_task_group() as tg:
            for cid in missing:
                tg.start_soon(one, cid)
        self.store.add_contacts(self.org, [_contact_row(c) for c in found])

    def note_contact(self, contact: Any) -> None:
        """A contact this server just created (create_contact): known at once, no sync needed."""
        self.store.add_contacts(self.org, [_contact_row(contact)])


def _slices(since: float, now: float) -> list[tuple[float, float | None]]:
    """A long listing cut into week-long slices walked at once (the API filters on last activity,
    start inclusive, end exclusive, so slices neither overlap nor leave gaps); the newest is open-ended
    so activity during the sync is not missed. Cursor paging is sequential: 90 days in one walk are
    25 round trips in a row, in slices 3-4."""
    span = max(0.0, now - since)
    count = max(1, min(MAX_SLICES, math.ceil(span / SLICE_S)))
    step = span / count
    cuts = [since + step * i for i in range(count)]
    return [(cuts[i], cuts[i + 1] if i + 1 < count else None) for i in range(count)]


def _first_error(group: ExceptionGroup) -> Exception:
    """The first API error in a task group's failures (else the first failure)."""
    leaves: list[Exception] = []

    def walk(g: ExceptionGroup) -> None:
        for exc in g.exceptions:
            walk(exc) if isinstance(exc, ExceptionGroup) else leaves.append(exc)

    walk(group)
    return next((e for e in leaves if isinstance(e, HyperRepError)), leaves[0])


def _conversation_row(c: Conversation) -> dict[str, Any]:
    return {
        "conversation_id": c.conversation_id,
        "contact_id": c.contact_id,
        "folder": c.folder,
        "is_read": c.is_read,
        "start_at": ts(c.start_at),
        "last_activity_at": ts(c.last_activity_at),
    }


def _contact_row(c: Any) -> dict[str, Any]:
    return {
        "contact_id": c.contact_id,
        "name": _one_line(c.name),
        "email": _one_line(c.email),
        "phone_number": _one_line(c.phone_number),
        "company_id": c.company_id,
        "company_role": _one_line(c.company_role),
        "custom_fields": {str(k): v for k, v in (c.custom_fields or {}).items()},
        "created_at": ts(c.created_at),
    }


def _one_line(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(strip_invisible(str(value)).split())
    return cleaned or None


def _stored(m: Message) -> StoredMessage:
    # The same cleaning the model reads, so a search never surfaces hidden text or matches only in
    # quoted history; the signature stays (SPEC 8 leaves out only quoted history): a name, title or
    # company written there is found.
    body = message_text(m.body_html, m.body_text, concise=True, keep_signature=True).body
    direction = (m.direction or "").strip().lower() or None
    sender = _one_line(m.sender_name) or _one_line(m.sender_email) or _one_line(m.sender_phone_number)
    return StoredMessage(
        message_id=m.message_id,
        direction=direction,
        channel=channel_of(m.modality),
        subject=_one_line(m.subject),
        sent_at=ts(m.sent_at),
        ts=ts(m.timestamp),
        is_read=m.is_read,
        sender=sender,
        body=body,
    )


__all__ = ["Coverage", "OrgIndex", "Progress", "SyncReport", "current_stats"]
