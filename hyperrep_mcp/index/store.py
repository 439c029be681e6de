"""The index's SQLite store: facts as the API gave them (cleaned text for bodies), conclusions in queries.

One database holds every organization (each row carries `org_id`): in memory by default, or a file
(mode 0600, WAL) that is rebuilt when its schema version differs and may be deleted at any time.
All access happens on the event loop's thread: each statement takes milliseconds (measured in
bench/index.py), so no worker threads are involved.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# 3: unsent outbound messages no longer count as our reply; bodies keep signatures; full_listed_from.
SCHEMA_VERSION = 3
# Folders whose conversations nobody is waiting on (SPEC 2: spam, archive(d), trash).
CLOSED_FOLDERS = ("spam", "archive", "archived", "trash")
SPAM_FOLDERS = ("spam",)

_SCHEMA = """
create table schema_version(version integer not null);
create table sync_state(
    org_id text primary key,
    covered_from real,          -- earliest start a complete listing has reached
    last_listed real,           -- local time the last complete listing started
    last_full_listing real,     -- local time the last listing of a whole window started
    full_listed_from real,      -- where that listing started (folders/read state current from here)
    directory_synced real       -- local time contacts and companies were last listed
);
create table conversations(
    org_id text not null,
    conversation_id text not null,
    contact_id text,
    folder text,                -- as the API gave it
    folder_key text,            -- normalised: 'Sales Follow-up' -> 'sales-follow-up'
    is_read integer,
    start_at real,
    last_activity_at real,
    fetched_activity real,      -- last_activity_at the stored messages reflect; null: not stored yet
    -- What the stored messages say, written with them in one transaction (replace_messages) so a
    -- query over thousands of conversations never re-reads their messages:
    channel text,               -- of the latest message that names one
    subject text,               -- the thread's first subject
    last_direction text,        -- of the latest message
    last_ts real,
    last_message integer,       -- messages.id of the latest message
    last_out real,              -- our latest *sent* message (a draft or failed send is no reply)
    first_in real,              -- the customer's first message
    first_reply real,           -- our first *sent* message after first_in
    waiting_since real,         -- the customer's first message after last_out
    primary key (org_id, conversation_id)
);
create index conversations_activity on conversations(org_id, last_activity_at);
create table messages(
    id integer primary key,
    org_id text not null,
    conversation_id text not null,
    message_id text not null,
    direction text,             -- 'inbound' (customer) / 'outbound' (us)
    channel text,               -- 'email' / 'text'
    subject text,
    sent_at real,               -- null for an outbound message never sent
    ts real,                    -- sent_at, else created_at
    is_read integer,
    sender text,
    body text not null,         -- visible text, quoted history trimmed, signature kept; hidden text gone
    unique (org_id, conversation_id, message_id)
);
create index messages_conversation on messages(org_id, conversation_id, ts);
create index messages_ts on messages(org_id, ts);
create virtual table message_fts using fts5(
    subject, body, tokenize = 'unicode61 remove_diacritics 2'
);
create table contacts(
    org_id text not null,
    contact_id text not null,
    name text,
    email text,
    phone_number text,
    company_id text,
    company_role text,
    custom_fields text,         -- JSON object
    created_at real,
    folded text,                -- name, email, role, custom values: case- and accent-folded
    primary key (org_id, contact_id)
);
create index contacts_company on contacts(org_id, company_id);
create table companies(
    org_id text not null,
    company_id text not null,
    name text,
    domain text,
    folded text,
    primary key (org_id, company_id)
);
"""

# Per conversation: the stored facts, and whether it awaits our reply (SPEC 2) as a conclusion.
_FACTS = """
with waits as (
    select c.*,
        case when c.last_direction = 'inbound' and coalesce(c.folder_key, '') not in
            ('spam', 'archive', 'archived', 'trash') then 1 else 0 end as awaiting
    from conversations c where c.org_id = :org
)
"""

# A conversation is active in [start, end] when its last activity or any of its messages falls in it.
_ACTIVE = """(
    (w.last_activity_at >= :start and w.last_activity_at <= :end)
    or (w.last_activity_at > :end and coalesce(w.start_at, 0) <= :end and exists (select 1 from messages m where m.org_id = w.org_id and m.conversation_id = w.conversation_id
               and m.ts >= :start and m.ts <= :end))
)"""


def fold(text: str | None) -> str:
    """Case- and accent-insensitive form: 'Müller' and 'muller' compare equal."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def folder_key(value: str | None) -> str:
    """Folders compare the way the API normalises them ('Sales Follow-up' == 'sales-follow-up')."""
    out, dash = [], False
    for ch in (value or "").strip().lower():
        if ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash:
            out.append("-")
            dash = True
    return "".join(out).strip("-")


def channel_of(modality: str | None) -> str | None:
    value = (modality or "").strip().lower()
    if value in ("sms", "text", "mms"):
        return "text"
    return value or None


def ts(value: datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


@dataclass(frozen=True)
class StoredMessage:
    message_id: str
    direction: str | None
    channel: str | None
    subject: str | None
    sent_at: float | None
    ts: float | None
    is_read: bool | None
    sender: str | None
    body: str


def _thread_facts(stored: list[tuple[int, StoredMessage]]) -> dict[str, Any]:
    """What a conversation's messages say about it: who wrote last, when, when the customer wrote
    first, our first sent reply after that, and since when the customer has waited."""
    # An outbound message never sent (a draft, a failed send) is no reply: it neither ends the
    # customer's wait nor makes us the last to write, so awaiting and response times agree.
    ordered = sorted(
        ((i, m) for i, m in stored if m.direction != "outbound" or m.sent_at is not None),
        key=lambda p: (p[1].ts if p[1].ts is not None else float("-inf"), p[0]),
    )
    msgs = [m for _, m in ordered]
    last_out = max(
        (m.sent_at for m in msgs if m.direction == "outbound" and m.sent_at is not None), default=None
    )
    first_in = min((m.ts for m in msgs if m.direction == "inbound" and m.ts is not None), default=None)
    first_reply = None
    if first_in is not None:
        first_reply = min(
            (
                m.sent_at
                for m in msgs
                if m.direction == "outbound" and m.sent_at is not None and m.sent_at > first_in
            ),
            default=None,
        )
    waiting_since = min(
        (
            m.ts
            for m in msgs
            if m.direction == "inbound" and m.ts is not None and (last_out is None or m.ts > last_out)
        ),
        default=None,
    )
    return {
        "channel": next((m.channel for m in reversed(msgs) if m.channel), None),
        "subject": next((m.subject for m in msgs if m.subject), None),
        "last_direction": msgs[-1].direction if msgs else None,
        "last_ts": msgs[-1].ts if msgs else None,
        "last_message": ordered[-1][0] if ordered else None,
        "last_out": last_out,
        "first_in": first_in,
        "first_reply": first_reply,
        "waiting_since": waiting_since,
    }


def _open(path: str | None) -> sqlite3.Connection:
    if not path:
        con = sqlite3.connect(":memory:", isolation_level=None)
        con.executescript(_SCHEMA)
        con.execute("insert into schema_version values (?)", (SCHEMA_VERSION,))
        return con
    file = Path(path).expanduser()
    file.parent.mkdir(parents=True, exist_ok=True)
    # Created 0600 before SQLite opens it: message text is customer data.
    os.close(os.open(file, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(file, 0o600)
    try:
        con = sqlite3.connect(file, isolation_level=None)
        con.execute("pragma journal_mode=wal")
        version = _version(con)
    except sqlite3.DatabaseError:  # not a database, or damaged: the index is only a cache
        with contextlib.suppress(Exception):
            con.close()
        _remove(file)
        os.close(os.open(file, os.O_CREAT | os.O_RDWR, 0o600))
        con = sqlite3.connect(file, isolation_level=None)
        con.execute("pragma journal_mode=wal")
        version = None
    if version != SCHEMA_VERSION:  # an older (or foreign) layout is rebuilt, never misread
        _drop_all(con)
        con.executescript(_SCHEMA)
        con.execute("insert into schema_version values (?)", (SCHEMA_VERSION,))
    con.execute("pragma synchronous=normal")
    return con


def _version(con: sqlite3.Connection) -> int | None:
    row = con.execute(
        "select name from sqlite_master where type='table' and name='schema_version'"
    ).fetchone()
    if row is None:
        return None
    got = con.execute("select version from schema_version").fetchone()
    return got[0] if got else None


def _drop_all(con: sqlite3.Connection) -> None:
    names = [
        r[0]
        for r in con.execute("select name from sqlite_master where type='table' and name not like 'sqlite_%'")
    ]
    for name in names:
        with contextlib.suppress(sqlite3.OperationalError):  # FTS shadow tables go with their parent
            con.execute(f'drop table if exists "{name}"')


def _remove(file: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{file}{suffix}")


class Store:
    """The SQLite database behind every organization's index."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self.con = _open(path)
        self.con.row_factory = sqlite3.Row

    def close(self) -> None:
        self.con.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.con.execute("begin")
        try:
            yield self.con
        except BaseException:
            self.con.execute("rollback")
            raise
        self.con.execute("commit")

    # --- sync state ------------------------------------------------------------------------

    def sync_state(self, org: str) -> dict[str, float | None]:
        row = self.con.execute("select * from sync_state where org_id = ?", (org,)).fetchone()
        keys = ("covered_from", "last_listed", "last_full_listing", "full_listed_from", "directory_synced")
        return {k: (row[k] if row else None) for k in keys}

    def set_sync_state(self, org: str, **values: float | None) -> None:
        state = self.sync_state(org)
        state.update(values)
        self.con.execute(
            "insert or replace into sync_state (org_id, covered_from, last_listed, last_full_listing,"
            " full_listed_from, directory_synced) values (?, ?, ?, ?, ?, ?)",
            (
                org,
                state["covered_from"],
                state["last_listed"],
                state["last_full_listing"],
                state["full_listed_from"],
                state["directory_synced"],
            ),
        )

    # --- writes ----------------------------------------------------------------------------

    def upsert_conversations(self, org: str, rows: Iterable[dict[str, Any]]) -> list[str]:
        """Store listing rows; returns the ids whose messages need (re)fetching."""
        rows = list(rows)
        with self.transaction() as con:
            con.executemany(
                "insert into conversations (org_id, conversation_id, contact_id, folder, folder_key, is_read,"
                " start_at, last_activity_at) values (?, ?, ?, ?, ?, ?, ?, ?)"
                " on conflict (org_id, conversation_id) do update set contact_id = excluded.contact_id,"
                " folder = excluded.folder, folder_key = excluded.folder_key, is_read = excluded.is_read,"
                " start_at = excluded.start_at, last_activity_at = excluded.last_activity_at",
                (
                    (
                        org,
                        r["conversation_id"],
                        r.get("contact_id"),
                        r.get("folder"),
                        folder_key(r.get("folder")),
                        None if r.get("is_read") is None else int(bool(r["is_read"])),
                        r.get("start_at"),
                        r.get("last_activity_at"),
                    )
                    for r in rows
                ),
            )
            ids = [r["conversation_id"] for r in rows]
            stale = set()
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                marks = ", ".join("?" for _ in chunk)
                stale.update(
                    r[0]
                    for r in con.execute(
                        "select conversation_id from conversations where org_id = ?"  # noqa: S608
                        f" and conversation_id in ({marks})"
                        " and (fetched_activity is null or fetched_activity != last_activity_at)",
                        (org, *chunk),
                    )
                )
        return [cid for cid in ids if cid in stale]

    def replace_messages(
        self, org: str, conversation_id: str, messages: list[StoredMessage], activity: float | None
    ) -> None:
        """A conversation's messages, replaced in one transaction: a half-finished sync never leaves
        a thread half stored. `activity` is the last_activity_at these messages reflect."""
        unique = {m.message_id: m for m in messages}  # pages overlapping after a retry: never doubled
        with self.transaction() as con:
            known = con.execute(
                "select 1 from conversations where org_id = ? and conversation_id = ?", (org, conversation_id)
            ).fetchone()
            if known is None:  # deleted meanwhile (gone upstream): its messages must not linger
                return
            old = [
                r[0]
                for r in con.execute(
                    "select id from messages where org_id = ? and conversation_id = ?", (org, conversation_id)
                )
            ]
            if old:
                con.executemany("delete from message_fts where rowid = ?", ((i,) for i in old))
                con.execute(
                    "delete from messages where org_id = ? and conversation_id = ?", (org, conversation_id)
                )
            stored: list[tuple[int, StoredMessage]] = []
            for m in unique.values():
                cur = con.execute(
                    "insert into messages (org_id, conversation_id, message_id, direction, channel, subject,"
                    " sent_at, ts, is_read, sender, body) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        org,
                        conversation_id,
                        m.message_id,
                        m.direction,
                        m.channel,
                        m.subject,
                        m.sent_at,
                        m.ts,
                        None if m.is_read is None else int(m.is_read),
                        m.sender,
                        m.body,
                    ),
                )
                con.execute(
                    "insert into message_fts (rowid, subject, body) values (?, ?, ?)",
                    (cur.lastrowid, m.subject or "", m.body),
                )
                stored.append((cur.lastrowid or 0, m))
            facts = _thread_facts(stored)
            con.execute(
                "update conversations set fetched_activity = :activity, channel = :channel, subject = :subject,"
                " last_direction = :last_direction, last_ts = :last_ts, last_message = :last_message,"
                " last_out = :last_out, first_in = :first_in, first_reply = :first_reply,"
                " waiting_since = :waiting_since where org_id = :org and conversation_id = :cid",
                {**facts, "activity": activity, "org": org, "cid": conversation_id},
            )

    def replace_directory(
        self, org: str, contacts: list[dict[str, Any]], companies: list[dict[str, Any]]
    ) -> None:
        with self.transaction() as con:
            con.execute("delete from contacts where org_id = ?", (org,))
            con.execute("delete from companies where org_id = ?", (org,))
            self._put_contacts(con, org, contacts)
            con.executemany(
                "insert or replace into companies values (?, ?, ?, ?, ?)",
                (
                    (org, c["company_id"], c.get("name"), c.get("domain"), fold(c.get("name")))
                    for c in companies
                ),
            )

    def add_contacts(self, org: str, contacts: list[dict[str, Any]]) -> None:
        with self.transaction() as con:
            self._put_contacts(con, org, contacts)

    @staticmethod
    def _put_contacts(con: sqlite3.Connection, org: str, contacts: list[dict[str, Any]]) -> None:
        rows = []
        for c in contacts:
            custom = c.get("custom_fields") or {}
            searchable = [c.get("name"), c.get("email"), c.get("company_role"), *map(str, custom.values())]
            rows.append(
                (
                    org,
                    c["contact_id"],
                    c.get("name"),
                    c.get("email"),
                    c.get("phone_number"),
                    c.get("company_id"),
                    c.get("company_role"),
                    json.dumps(custom, ensure_ascii=False, default=str),
                    c.get("created_at"),
                    " | ".join(fold(s) for s in searchable if s),
                )
            )
        con.executemany("insert or replace into contacts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def delete_conversation(self, org: str, conversation_id: str) -> None:
        """A conversation gone upstream: it, its messages and their search rows, in one transaction."""
        self.delete_conversations(org, [conversation_id])

    def delete_conversations(self, org: str, conversation_ids: Iterable[str]) -> None:
        ids = list(conversation_ids)
        if not ids:
            return
        with self.transaction() as con:
            for cid in ids:
                rows = [
                    (r[0],)
                    for r in con.execute(
                        "select id from messages where org_id = ? and conversation_id = ?", (org, cid)
                    )
                ]
                con.executemany("delete from message_fts where rowid = ?", rows)
                con.executemany("delete from messages where id = ?", rows)
                con.execute("delete from conversations where org_id = ? and conversation_id = ?", (org, cid))

    def delete_unlisted(self, org: str, start: float, end: float, listed: set[str]) -> list[str]:
        """After a complete listing of [start, end): forget the stored conversations in that range
        the listing did not return (deleted upstream). Returns their ids."""
        gone = [
            r[0]
            for r in self.con.execute(
                "select conversation_id from conversations where org_id = ?"
                " and last_activity_at >= ? and last_activity_at < ?",
                (org, start, end),
            )
            if r[0] not in listed
        ]
        self.delete_conversations(org, gone)
        return gone

    def prune(self, org: str, before: float) -> None:
        """Forget conversations whose last activity fell out of the index's reach."""
        with self.transaction() as con:
            ids = [
                r[0]
                for r in con.execute(
                    "select m.id from messages m join conversations c on c.org_id = m.org_id and"
                    " c.conversation_id = m.conversation_id where c.org_id = ? and c.last_activity_at < ?",
                    (org, before),
                )
            ]
            con.executemany("delete from message_fts where rowid = ?", ((i,) for i in ids))
            con.executemany("delete from messages where id = ?", ((i,) for i in ids))
            con.execute("delete from conversations where org_id = ? and last_activity_at < ?", (org, before))

    # --- plain reads -----------------------------------------------------------------------

    def activity_cuts(self, org: str, start: float, end: float, per_slice: int) -> list[float]:
        """Times in (start, end) cutting the stored conversations active since `start` into runs of
        about `per_slice`: where a listing can be sliced so that each slice is about one page."""
        rows = self.con.execute(
            "select last_activity_at from conversations where org_id = ? and last_activity_at > ?"
            " and last_activity_at < ? order by last_activity_at",
            (org, start, end),
        ).fetchall()
        return sorted({rows[i][0] for i in range(per_slice, len(rows), per_slice)})

    def stale_conversations(self, org: str) -> list[tuple[str, float | None]]:
        rows = self.con.execute(
            "select conversation_id, last_activity_at from conversations where org_id = ?"
            " and (fetched_activity is null or fetched_activity != last_activity_at)"
            " order by last_activity_at desc",
            (org,),
        )
        return [(r[0], r[1]) for r in rows]

    def counts(self, org: str) -> tuple[int, int]:
        conversations = self.con.execute(
            "select count(*) from conversations where org_id = ?", (org,)
        ).fetchone()[0]
        messages = self.con.execute("select count(*) from messages where org_id = ?", (org,)).fetchone()[0]
        return conversations, messages

    def known_contact_ids(self, org: str) -> set[str]:
        return {r[0] for r in self.con.execute("select contact_id from contacts where org_id = ?", (org,))}

    def conversation_contact_ids(self, org: str) -> set[str]:
        return {
            r[0]
            for r in self.con.execute(
                "select distinct contact_id from conversations where org_id = ? and contact_id is not null",
                (org,),
            )
        }

    def facts_query(self, where: str, tail: str, params: dict[str, Any]) -> list[sqlite3.Row]:
        """Rows of the per-conversation facts (`w.*`, last message body) filtered by `where`."""
        # `where` and `tail` come from this package's own clauses; every value is a bound parameter.
        select = "select w.*, lm.body as last_body, lm.sender as last_sender from waits w"
        join = " left join messages lm on lm.id = w.last_message"
        sql = f"{_FACTS} {select}{join} {'where ' + where if where else ''} {tail}"
        return self.con.execute(sql, params).fetchall()

    def facts_count(self, where: str, params: dict[str, Any]) -> int:
        sql = f"{_FACTS} select count(*) from waits w {'where ' + where if where else ''}"  # noqa: S608
        return self.con.execute(sql, params).fetchone()[0]

    @staticmethod
    def active_clause() -> str:
        return _ACTIVE


def window_seconds(start: datetime, end: datetime) -> dict[str, float]:
    return {"start": ts(start) or 0.0, "end": ts(end) or 0.0}


def days_ago(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
