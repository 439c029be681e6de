"""What the tools answering from the inbox index share: argument types, coverage, progress, cursors.

Their windows come from common.resolve_window, as every other windowed tool's do.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from hyperrep_mcp.index import Coverage, OrgIndex
from hyperrep_mcp.render.layout import iso_z
from hyperrep_mcp.render.views import View
from hyperrep_mcp.server.results import ToolInputError
from hyperrep_mcp.server.tools.common import (
    index_progress,
    now,
)

# How long a call waits for the index to catch up before answering from what it has.
SYNC_BUDGET_S = 20.0

Channel = Literal["email", "text"] | None
Direction = Annotated[
    Literal["inbound", "outbound"] | None,
    Field(description="inbound: by the customer; outbound: by us"),
]


async def fresh_index(ctx: Context, index: OrgIndex, start: datetime) -> Coverage:
    return await index.ensure_fresh(
        start, budget_s=SYNC_BUDGET_S, progress=index_progress(ctx, 1, "updating the inbox index")
    )


class IndexCoverage(View):
    """What an answer from the inbox index covers (SPEC 8), the same words the text's header gives."""

    summary: str = Field(
        description="Window covered, conversations and messages held, when last synced, what is missing"
    )
    covered_since: str | None = Field(default=None, description="Earliest activity the index has listed")
    reach_days: int = Field(description="How many days back the index reaches (HYPERREP_INDEX_DAYS)")
    conversations: int = Field(description="Conversations the index holds")
    messages: int = Field(description="Messages the index holds")
    last_synced: str | None = Field(default=None, description="When the index was last brought up to date")
    complete: bool = Field(
        description="False: part of the window is not read yet; the answer covers the rest"
    )
    listing_complete: bool = Field(
        default=True, description="False: the index has not listed the whole window yet"
    )
    pending_conversations: int = Field(
        default=0, description="Conversations listed whose messages are not read yet"
    )
    syncing: bool = Field(default=False, description="A sync goes on in the background: ask again shortly")
    note: str | None = None


def coverage_view(
    coverage: Coverage, window_start: datetime | None = None, zone: tzinfo = UTC
) -> IndexCoverage:
    """The coverage for structured output; its `summary` is the line the text's header shows, its
    dates read in `zone` (HYPERREP_TIMEZONE)."""
    note = None
    reach = now() - timedelta(days=coverage.window_days)
    if window_start is not None and window_start < reach - timedelta(minutes=5):
        note = f"the index reaches back {coverage.window_days} days: activity before {reach.astimezone(zone):%Y-%m-%d} is not covered"
    summary = coverage.describe(zone=zone)
    if note:
        summary += f" · {note}"
    return IndexCoverage(
        summary=summary,
        covered_since=iso_z(coverage.window_start),
        reach_days=coverage.window_days,
        conversations=coverage.conversations,
        messages=coverage.messages,
        last_synced=iso_z(coverage.last_synced),
        complete=coverage.complete,
        listing_complete=coverage.listed,
        pending_conversations=coverage.pending,
        syncing=coverage.syncing,
        note=note or coverage.error,
    )


# --- cursors over index answers ----------------------------------------------------------------
#
# One format for every tool answering from the index: "ix1." + base64url of {"o": offset, "q":
# fingerprint}. The fingerprint is a hash of the tool's name and the arguments that decide the
# result set (not the page size), so a cursor replayed with other filters, or at another tool,
# cannot silently continue a different list at the same offset: it is refused, naming `cursor`.

CURSOR_PREFIX = "ix1."
_MAX_CURSOR_CHARS = 100
_MAX_OFFSET = 1_000_000


def query_fingerprint(tool: str, **arguments: object) -> str:
    """A short, stable hash of `tool` and the arguments that decide which items a listing holds."""
    canonical = json.dumps([tool, sorted(arguments.items())], separators=(",", ":"), default=str)
    return hashlib.blake2s(canonical.encode(), digest_size=6).hexdigest()


@dataclass(frozen=True)
class IndexPosition:
    """Where a listing continues: the item at `offset` of the list as it stood when `until` (the end
    of the first page's window, pinned so that activity arriving in between shifts nothing)."""

    offset: int = 0
    until: datetime | None = None


def encode_cursor(offset: int, fingerprint: str, *, until: datetime | None = None) -> str:
    """The cursor that continues the listing of `fingerprint` at item `offset` (0-based)."""
    payload: dict[str, object] = {"o": offset, "q": fingerprint}
    if until is not None:
        payload["u"] = until.timestamp()  # a float: exactly the first page's end
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return CURSOR_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str | None, fingerprint: str) -> IndexPosition:
    """Where a cursor continues (the start without one). A damaged cursor, or one from another
    query or tool, is a ToolInputError naming `cursor`; nothing is sent upstream."""
    if not token:
        return IndexPosition()
    if not token.startswith(CURSOR_PREFIX) or len(token) > _MAX_CURSOR_CHARS:
        raise ToolInputError(
            "cursor is not a cursor from this tool's previous answer: pass the next_cursor of the previous "
            "page unchanged, or omit cursor to start from the first page."
        )
    body = token[len(CURSOR_PREFIX) :]
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        offset, owner, until = data["o"], data["q"], data.get("u")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ToolInputError(
            "cursor is damaged: pass the next_cursor of the previous page unchanged, or omit cursor to "
            "start from the first page."
        ) from None
    if (
        not isinstance(offset, int)
        or isinstance(offset, bool)
        or not 0 <= offset <= _MAX_OFFSET
        or not (
            until is None
            or (isinstance(until, int | float) and not isinstance(until, bool) and 0 < until < 2**33)
        )
    ):
        raise ToolInputError("cursor is damaged: omit cursor to start from the first page.")
    if owner != fingerprint:
        raise ToolInputError(
            "cursor belongs to another query or tool: repeat the call with exactly the arguments of the "
            "page it came from (only limit may change), or omit cursor to start from the first page."
        )
    return IndexPosition(offset, datetime.fromtimestamp(until, UTC) if until is not None else None)
