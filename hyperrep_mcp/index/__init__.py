"""The inbox index (SPEC 8): per organization, the recent inbox in SQLite + FTS5, synced on demand.

The API has no search, no channel filter, no response-time figures and answers "who is waiting?"
one conversation at a time; the index holds the conversations active in the last
HYPERREP_INDEX_DAYS, their messages as cleaned text, contacts and companies, and answers from that.

Public API (stable: later changes add, never rename)
---------------------------------------------------
Getting an organization's index (tools)::

    state = app(ctx)                                  # AppState
    index = state.index(org)                          # OrgIndex, made on first use
    coverage = await index.ensure_fresh(start, budget_s=20, progress=cb)
    #   start: datetime | None — the earliest activity the call asks about (None: the whole reach).
    #   Brings the index up to date (one listing since the last sync; messages only of changed
    #   conversations; <= 8 requests in flight). Waits at most budget_s; a longer sync continues in
    #   the background. progress: async (done, total|None, message) -> None, e.g. wrapping
    #   ctx.report_progress. Raises the API's HyperRepError when nothing is stored and the listing
    #   fails (bad key, unknown org): the tool guard turns it into a tool error as usual.
    coverage.describe()   # one header line: window, conversations, messages, freshness, gaps
    coverage.complete     # False: the answer covers only part of the window (say so)
    await index.ensure_directory(budget_s=10)  # contacts + companies only, no messages
    index.note_contact(contact)                # a contact create_contact just made: known at once

Queries (pure functions over the store, no I/O; `hyperrep_mcp.index.queries`, re-exported here).
Every window is [start, end] as aware datetimes; "active in the window" means the conversation's
last activity or any of its messages falls in it::

    counts(index.store, org, start=, end=) -> InboxCounts
        total, unread (spam left out), unread_by_channel, by_folder, by_channel,
        awaiting, awaiting_by_channel
    conversations(index.store, org, start=, end=, channel=, folder=<folder_key>, unread_only=,
                  awaiting_only=, contact_id=, sort="recent"|"longest_waiting", limit=, offset=)
        -> (list[ConversationRow], total)
    awaiting_reply(index.store, org, start=, end=, channel=, sort="longest_waiting", limit=, offset=)
        -> (list[ConversationRow], total)          # SPEC 2 definition
    conversation_rows(index.store, org, [conversation_id, ...]) -> {id: ConversationRow}
    current_rows(index.store, org, api_conversations) -> {id: ConversationRow}
        # only rows current for what the API just listed (messages stored for that
        # last_activity_at, same folder and read state): overlay index facts only from these
    search(index.store, org, parse_query(text), start=, end=, direction=, channel=, contact_id=,
           limit=, offset=) -> (list[SearchHit], total)   # newest first
    response_times(index.store, org, start=, end=, channel=) -> ResponseTimes (overall, by_channel)
    contacts_of_company(index.store, org, company_id=, company_name=) -> list[ContactRow]
    contacts_matching(index.store, org, text) -> list[ContactRow]  # name/email/role/custom/company
    companies_matching(index.store, org, text) -> list[CompanyRow]
    contact(index.store, org, contact_id) -> ContactRow | None

ConversationRow: conversation_id, contact_id, folder, is_read, start_at, last_activity_at,
channel ('email'/'text'), subject, last_direction, last_message_at, last_sender, gist (one line),
awaiting, waiting_since, messages_stored; `.waited(now)` -> timedelta | None.

Helpers: `parse_query(text)` (raises QueryError naming `query`), `folder_key(name)`, `fold(text)`.
Configuration: Settings.index_path (HYPERREP_INDEX_PATH), Settings.index_days (HYPERREP_INDEX_DAYS).
"""

from hyperrep_mcp.index.queries import (
    CompanyRow,
    ContactRow,
    ConversationRow,
    InboxCounts,
    ResponseTimes,
    ResponseTimeStats,
    SearchHit,
    awaiting_reply,
    companies_matching,
    contact,
    contacts_matching,
    contacts_of_company,
    conversation_rows,
    conversations,
    counts,
    current_rows,
    response_times,
    search,
)
from hyperrep_mcp.index.registry import Indexes
from hyperrep_mcp.index.search import ParsedQuery, QueryError, parse_query
from hyperrep_mcp.index.store import CLOSED_FOLDERS, Store, fold, folder_key
from hyperrep_mcp.index.sync import MAX_IN_FLIGHT, Coverage, OrgIndex, Progress, SyncReport

__all__ = [
    "CLOSED_FOLDERS",
    "MAX_IN_FLIGHT",
    "CompanyRow",
    "ContactRow",
    "ConversationRow",
    "Coverage",
    "InboxCounts",
    "Indexes",
    "OrgIndex",
    "ParsedQuery",
    "Progress",
    "QueryError",
    "ResponseTimeStats",
    "ResponseTimes",
    "SearchHit",
    "Store",
    "SyncReport",
    "awaiting_reply",
    "companies_matching",
    "contact",
    "contacts_matching",
    "contacts_of_company",
    "conversation_rows",
    "conversations",
    "counts",
    "current_rows",
    "fold",
    "folder_key",
    "parse_query",
    "response_times",
    "search",
]
