"""Answers computed from the stored facts, each over a time window: nothing here talks to the API."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from hyperrep_mcp.api.models import Conversation
from hyperrep_mcp.index.search import ParsedQuery
from hyperrep_mcp.index.store import SPAM_FOLDERS, Store, dt, fold, folder_key, ts, window_seconds
from hyperrep_mcp.render.records import message_gist
from hyperrep_mcp.render.text import trim_reply

Sort = Literal["recent", "longest_waiting"]
GIST_CHARS = 100


@dataclass(frozen=True)
class ConversationRow:
    """One conversation as the index knows it: listing facts plus what its messages say."""

    conversation_id: str
    contact_id: str | None
    folder: str | None
    is_read: bool | None
    start_at: datetime | None
    last_activity_at: datetime | None
    channel: str | None  # 'email' / 'text' (from its messages)
    subject: str | None  # the thread's first subject (email)
    last_direction: str | None  # who wrote last: 'inbound' (customer) / 'outbound' (us)
    last_message_at: datetime | None
    last_sender: str | None
    gist: str | None  # the last message, one line
    awaiting: bool  # SPEC 2: latest message inbound, folder not spam/archive(d)/trash
    waiting_since: datetime | None  # the customer's first message after our last reply
    messages_stored: bool  # False while the sync has not read its messages yet

    def waited(self, now: datetime) -> timedelta | None:
        """How long the customer has waited at `now` (None when not awaiting our reply)."""
        if not self.awaiting or self.waiting_since is None:
            return None
        return max(timedelta(0), now - self.waiting_since)


@dataclass(frozen=True)
class InboxCounts:
    """Counts over every conversation active in the window (no sampling)."""

    total: int
    unread: int  # spam left out
    unread_by_channel: dict[str, int]  # spam left out; 'unknown' when messages are not stored yet
    by_folder: dict[str, int]
    by_channel: dict[str, int]
    awaiting: int
    awaiting_by_channel: dict[str, int]


@dataclass(frozen=True)
class SearchHit:
    message_id: str
    conversation_id: str
    contact_id: str | None
    direction: str | None
    channel: str | None
    sent_at: datetime | None
    subject: str | None
    sender: str | None
    snippet: str


@dataclass(frozen=True)
class ResponseTimeStats:
    """First-reply figures of the conversations whose first customer message falls in a window."""

    conversations: int  # with a first customer message in the window
    replied: int
    unanswered: int
    median: timedelta | None
    mean: timedelta | None
    p90: timedelta | None
    oldest_unanswered_since: datetime | None
    oldest_unanswered_conversation_id: str | None


@dataclass(frozen=True)
class ResponseTimes:
    overall: ResponseTimeStats
    by_channel: dict[str, ResponseTimeStats] = field(default_factory=dict)


@dataclass(frozen=True)
class ContactRow:
    contact_id: str
    name: str | None
    email: str | None
    phone_number: str | None
    company_id: str | None
    company_name: str | None
    company_role: str | None
    custom_fields: dict[str, Any]
    created_at: datetime | None


@dataclass(frozen=True)
class CompanyRow:
    company_id: str
    name: str | None
    domain: str | None


def _row(r: Any) -> ConversationRow:
    return ConversationRow(
        conversation_id=r["conversation_id"],
        contact_id=r["contact_id"],
        folder=r["folder"],
        is_read=None if r["is_read"] is None else bool(r["is_read"]),
        start_at=dt(r["start_at"]),
        last_activity_at=dt(r["last_activity_at"]),
        channel=r["channel"],
        subject=r["subject"],
        last_direction=r["last_direction"],
        last_message_at=dt(r["last_ts"]),
        last_sender=r["last_sender"],
        # The index keeps signatures (they are searchable); a gist says what the message is about.
        gist=message_gist(trim_reply(r["last_body"]).body, GIST_CHARS) if r["last_body"] else None,
        awaiting=bool(r["awaiting"]),
        waiting_since=dt(r["waiting_since"]),
        messages_stored=r["fetched_activity"] is not None,
    )


def _filters(
    *,
    start: datetime | None,
    end: datetime | None,
    channel: str | None,
    folder: str | None,
    unread_only: bool,
    awaiting_only: bool,
    contact_id: str | None,
) -> tuple[list[str], dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {}
    if start is not None and end is not None:
        where.append(Store.active_clause())
        params.update(window_seconds(start, end))
    if channel:
        where.append("w.channel = :channel")
        params["channel"] = channel
    if folder:
        where.append("w.folder_key = :folder")
        params["folder"] = folder
    if unread_only:
        where.append("w.is_read = 0")
    if awaiting_only:
        where.append("w.awaiting = 1")
    if contact_id:
        where.append("w.contact_id = :contact_id")
        params["contact_id"] = contact_id
    return where, params


def conversations(
    store: Store,
    org: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    channel: str | None = None,
    folder: str | None = None,
    unread_only: bool = False,
    awaiting_only: bool = False,
    contact_id: str | None = None,
    sort: Sort = "recent",
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[ConversationRow], int]:
    """Conversations active in [start, end] matching the filters, and how many match in all.

    `sort="longest_waiting"` puts those awaiting our reply first, longest wait first; `folder` is a
    normalised folder key (see `store.folder_key`).
    """
    where, params = _filters(
        start=start,
        end=end,
        channel=channel,
        folder=folder,
        unread_only=unread_only,
        awaiting_only=awaiting_only,
        contact_id=contact_id,
    )
    params["org"] = org
    order = (
        "order by w.awaiting desc, case when w.awaiting = 1 then w.waiting_since end asc,"
        " w.last_activity_at desc, w.conversation_id"
        if sort == "longest_waiting"
        else "order by w.last_activity_at desc, w.conversation_id"
    )
    page = f"{order} limit {int(limit) if limit is not None else -1} offset {int(offset)}"
    rows = store.facts_query(" and ".join(where), page, params)
    total = store.facts_count(" and ".join(where), params)
    return [_row(r) for r in rows], total


def conversation_rows(store: Store, org: str, conversation_ids: list[str]) -> dict[str, ConversationRow]:
    """The rows of these conversations (those the index holds), by id: channel, subject, gist."""
    if not conversation_ids:
        return {}
    marks = ", ".join(f":c{i}" for i in range(len(conversation_ids)))
    params: dict[str, Any] = {f"c{i}": cid for i, cid in enumerate(conversation_ids)}
    params["org"] = org
    rows = store.facts_query(f"w.conversation_id in ({marks})", "", params)
    return {r["conversation_id"]: _row(r) for r in rows}


def current_rows(store: Store, org: str, listed: Iterable[Conversation]) -> dict[str, ConversationRow]:
    """The index's rows for conversations the API just listed, only where the row is current: its
    messages stored for exactly the listed last_activity_at, and folder and read state as listed.
    A row left out is stale (or unknown): show the API's own fields for it, without index facts."""
    wanted = {c.conversation_id: c for c in listed}
    rows = conversation_rows(store, org, list(wanted))
    fetched = (
        dict(
            store.con.execute(
                "select conversation_id, fetched_activity from conversations where org_id = ?"  # noqa: S608
                f" and conversation_id in ({', '.join('?' for _ in rows)})",
                (org, *rows),
            ).fetchall()
        )
        if rows
        else {}
    )
    out = {}
    for cid, row in rows.items():
        api = wanted[cid]
        activity = ts(api.last_activity_at)
        if (
            row.messages_stored
            and activity is not None
            and fetched.get(cid) == activity
            and ts(row.last_activity_at) == activity
            and folder_key(row.folder) == folder_key(api.folder)
            and row.is_read == api.is_read
        ):
            out[cid] = row
    return out


def awaiting_reply(
    store: Store,
    org: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    channel: str | None = None,
    sort: Sort = "longest_waiting",
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[ConversationRow], int]:
    """Conversations awaiting our reply (SPEC 2), longest wait first by default."""
    return conversations(
        store,
        org,
        start=start,
        end=end,
        channel=channel,
        awaiting_only=True,
        sort=sort,
        limit=limit,
        offset=offset,
    )


def counts(store: Store, org: str, *, start: datetime, end: datetime) -> InboxCounts:
    rows = store.facts_query(Store.active_clause(), "", {"org": org, **window_seconds(start, end)})
    unread_by_channel: dict[str, int] = {}
    by_folder: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    awaiting_by_channel: dict[str, int] = {}
    unread = awaiting = 0
    for r in rows:
        chan = r["channel"] or "unknown"
        by_channel[chan] = by_channel.get(chan, 0) + 1
        folder = r["folder_key"] or "(none)"
        by_folder[folder] = by_folder.get(folder, 0) + 1
        if r["is_read"] == 0 and folder not in SPAM_FOLDERS:
            unread += 1
            unread_by_channel[chan] = unread_by_channel.get(chan, 0) + 1
        if r["awaiting"]:
            awaiting += 1
            awaiting_by_channel[chan] = awaiting_by_channel.get(chan, 0) + 1
    return InboxCounts(
        total=len(rows),
        unread=unread,
        unread_by_channel=unread_by_channel,
        by_folder=dict(sorted(by_folder.items(), key=lambda kv: -kv[1])),
        by_channel=by_channel,
        awaiting=awaiting,
        awaiting_by_channel=awaiting_by_channel,
    )


def search(
    store: Store,
    org: str,
    query: ParsedQuery,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    direction: str | None = None,
    channel: str | None = None,
    contact_id: str | None = None,
    limit: int = 25,
    offset: int = 0,
) -> tuple[list[SearchHit], int]:
    """Messages whose subject or visible body matches, newest first, and how many match in all."""
    # Only messages of a conversation the index holds: never an orphan of one deleted meanwhile.
    where = [
        "message_fts match :match",
        "m.org_id = :org",
        "exists (select 1 from conversations c where c.org_id = m.org_id"
        " and c.conversation_id = m.conversation_id)",
    ]
    params: dict[str, Any] = {"match": query.fts(), "org": org}
    if start is not None:
        where.append("m.ts >= :start")
        params["start"] = ts(start)
    if end is not None:
        where.append("m.ts <= :end")
        params["end"] = ts(end)
    if direction:
        where.append("m.direction = :direction")
        params["direction"] = direction
    if channel:
        where.append("m.channel = :channel")
        params["channel"] = channel
    if contact_id:
        where.append(
            "m.conversation_id in (select conversation_id from conversations"
            " where org_id = :org and contact_id = :contact_id)"
        )
        params["contact_id"] = contact_id
    # The full-text match runs first, once, on its own; CROSS JOIN keeps that order. Left to itself
    # the planner walked every message in the time range and probed the matches for each, which is
    # far slower on a big organization (bench/index.py measures it).
    base = " from matched cross join messages m on m.id = matched.rowid where " + " and ".join(where[1:])
    found = "with matched as materialized (select rowid from message_fts where message_fts match :match)"
    total = store.con.execute(found + " select count(*)" + base, params).fetchone()[0]
    params.update(limit=limit, offset=offset)
    rows = store.con.execute(
        found + " select m.id, m.message_id, m.conversation_id, m.direction, m.channel, m.ts,"
        " m.subject, m.sender" + base + " order by m.ts desc, m.id desc limit :limit offset :offset",
        params,
    ).fetchall()
    snippets: dict[int, str] = {}
    contacts: dict[str, str | None] = {}
    if rows:  # snippets and contacts for the page shown only
        convs = sorted({r["conversation_id"] for r in rows})
        cmarks = ", ".join("?" for _ in convs)
        contacts = dict(
            store.con.execute(
                "select conversation_id, contact_id from conversations where org_id = ?"  # noqa: S608
                f" and conversation_id in ({cmarks})",
                (org, *convs),
            ).fetchall()
        )
        marks = ", ".join(str(int(r["id"])) for r in rows)
        for r in store.con.execute(
            "select rowid, snippet(message_fts, -1, '[', ']', '…', 12) as snip from message_fts"  # noqa: S608
            f" where message_fts match :match and rowid in ({marks})",
            {"match": params["match"]},
        ):
            snippets[r["rowid"]] = r["snip"]
    hits = [
        SearchHit(
            message_id=r["message_id"],
            conversation_id=r["conversation_id"],
            contact_id=contacts.get(r["conversation_id"]),
            direction=r["direction"],
            channel=r["channel"],
            sent_at=dt(r["ts"]),
            subject=r["subject"],
            sender=r["sender"],
            snippet=" ".join((snippets.get(r["id"]) or "").split()),
        )
        for r in rows
    ]
    return hits, total


def _stats(samples: list[tuple[float, float | None, str]]) -> ResponseTimeStats:
    """samples: (first customer message, our first sent reply after it or None, conversation_id)."""
    waits = sorted(reply - first for first, reply, _ in samples if reply is not None)
    unanswered = [(first, cid) for first, reply, cid in samples if reply is None]
    oldest = min(unanswered) if unanswered else None
    p90 = None
    if waits:
        # Nearest-rank: the smallest wait at or above which 10 % of the replies lie.
        rank = max(1, -(-len(waits) * 9 // 10))
        p90 = timedelta(seconds=waits[rank - 1])
    return ResponseTimeStats(
        conversations=len(samples),
        replied=len(waits),
        unanswered=len(unanswered),
        median=timedelta(seconds=statistics.median(waits)) if waits else None,
        mean=timedelta(seconds=statistics.fmean(waits)) if waits else None,
        p90=p90,
        oldest_unanswered_since=dt(oldest[0]) if oldest else None,
        oldest_unanswered_conversation_id=oldest[1] if oldest else None,
    )


def response_times(
    store: Store, org: str, *, start: datetime, end: datetime, channel: str | None = None
) -> ResponseTimes:
    """SPEC 2: per conversation (spam excluded) whose first customer message falls in [start, end],
    the time from that message to our first *sent* reply after it; overall, then per channel."""
    sql = (
        "select conversation_id, channel, first_in, first_reply as reply from conversations"
        " where org_id = :org and coalesce(folder_key, '') != 'spam' and first_in >= :start and first_in <= :end"
    )
    rows = store.con.execute(sql, {"org": org, **window_seconds(start, end)}).fetchall()
    by_channel: dict[str, list[tuple[float, float | None, str]]] = {}
    overall = []
    for r in rows:
        chan = r["channel"] or "unknown"
        if channel and chan != channel:
            continue
        sample = (r["first_in"], r["reply"], r["conversation_id"])
        overall.append(sample)
        by_channel.setdefault(chan, []).append(sample)
    return ResponseTimes(
        overall=_stats(overall), by_channel={k: _stats(v) for k, v in sorted(by_channel.items())}
    )


def _contact(r: Any, companies: dict[str, CompanyRow]) -> ContactRow:
    company = companies.get(r["company_id"] or "")
    return ContactRow(
        contact_id=r["contact_id"],
        name=r["name"],
        email=r["email"],
        phone_number=r["phone_number"],
        company_id=r["company_id"],
        company_name=company.name if company else None,
        company_role=r["company_role"],
        custom_fields=json.loads(r["custom_fields"] or "{}"),
        created_at=dt(r["created_at"]),
    )


def companies(store: Store, org: str) -> dict[str, CompanyRow]:
    rows = store.con.execute("select company_id, name, domain from companies where org_id = ?", (org,))
    return {r["company_id"]: CompanyRow(r["company_id"], r["name"], r["domain"]) for r in rows}


def companies_matching(store: Store, org: str, text: str) -> list[CompanyRow]:
    """Companies whose name contains `text` (case- and accent-insensitive), or whose domain does."""
    wanted = fold(text).strip()
    if not wanted:
        return []
    rows = store.con.execute(
        "select company_id, name, domain from companies where org_id = ?"
        " and (instr(folded, ?) > 0 or instr(lower(coalesce(domain, '')), ?) > 0) order by name",
        (org, wanted, wanted),
    )
    return [CompanyRow(r["company_id"], r["name"], r["domain"]) for r in rows]


def contacts_of_company(
    store: Store, org: str, *, company_id: str | None = None, company_name: str | None = None
) -> list[ContactRow]:
    """Contacts of one company (by id) or of every company whose name matches `company_name`."""
    all_companies = companies(store, org)
    ids: list[str] = []
    if company_id:
        ids.append(company_id)
    if company_name:
        ids.extend(c.company_id for c in companies_matching(store, org, company_name))
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    rows = store.con.execute(
        # Only "?" placeholders are formatted in; every value is bound.
        f"select * from contacts where org_id = ? and company_id in ({marks}) order by name, contact_id",  # noqa: S608
        (org, *ids),
    )
    return [_contact(r, all_companies) for r in rows]


def contacts_matching(store: Store, org: str, text: str) -> list[ContactRow]:
    """Contacts whose name, email, role, custom values or company name contain `text` (folded)."""
    wanted = fold(text).strip()
    if not wanted:
        return []
    all_companies = companies(store, org)
    company_ids = [c.company_id for c in companies_matching(store, org, text)]
    marks = ", ".join("?" for _ in company_ids) or "''"
    rows = store.con.execute(
        f"select * from contacts where org_id = ? and (instr(folded, ?) > 0 or company_id in ({marks}))"  # noqa: S608
        " order by name, contact_id",
        (org, wanted, *company_ids),
    )
    return [_contact(r, all_companies) for r in rows]


def contact(store: Store, org: str, contact_id: str) -> ContactRow | None:
    r = store.con.execute(
        "select * from contacts where org_id = ? and contact_id = ?", (org, contact_id)
    ).fetchone()
    return _contact(r, companies(store, org)) if r else None
