"""Ground truth for the index tests, computed straight from the sandbox's own dataset (not our code)."""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from hyperrep_mcp.api import HyperRepClient
from hyperrep_mcp.index import Indexes
from hyperrep_mcp.sandbox.dataset import OrgData
from tests.support import SANDBOX_KEY, RunningSandbox

CLOSED = {"spam", "archive", "archived", "trash"}


@asynccontextmanager
async def indexes_for(
    sb: RunningSandbox, *, days: int = 90, path: str | None = None
) -> AsyncIterator[Indexes]:
    async with (
        HyperRepClient(
            SANDBOX_KEY, base_url=sb.url, max_retries=3, retry_wait_initial=0.01, retry_wait_max=0.05
        ) as api,
        Indexes(api, path=path, days=days) as indexes,
    ):
        yield indexes


def org_data(sb: RunningSandbox, org: str) -> OrgData:
    data = sb.sandbox.data.org(org)
    assert data is not None
    return data


def active(data: OrgData, start: datetime, end: datetime) -> list[str]:
    """Conversations whose last activity or any message falls in [start, end]."""
    return [
        c.conversation_id
        for c in data.conversations.values()
        if start <= c.last_activity_at <= end
        or any(start <= m.sent_at <= end for m in data.messages(c.conversation_id))
    ]


def awaiting(data: OrgData, ids: list[str]) -> dict[str, datetime]:
    """SPEC 2: latest message inbound and folder not closed -> the first inbound after our last reply."""
    out = {}
    for cid in ids:
        conv = data.conversations[cid]
        msgs = sorted(data.messages(cid), key=lambda m: m.sent_at)
        if not msgs or msgs[-1].direction != "inbound" or conv.folder in CLOSED:
            continue
        last_out = max((m.sent_at for m in msgs if m.direction == "outbound"), default=None)
        out[cid] = min(
            m.sent_at for m in msgs if m.direction == "inbound" and (last_out is None or m.sent_at > last_out)
        )
    return out


def first_reply_minutes(
    data: OrgData, start: datetime, end: datetime, channel: str | None = None
) -> list[float]:
    """Per conversation (spam excluded) whose first customer message is in [start, end] and that got a
    reply: minutes from that message to our first sent reply after it."""
    out = []
    for conv in data.conversations.values():
        if conv.folder == "spam" or (channel and conv.modality != channel):
            continue
        msgs = data.messages(conv.conversation_id)
        first_in = min((m.sent_at for m in msgs if m.direction == "inbound"), default=None)
        if first_in is None or not start <= first_in <= end:
            continue
        reply = min(
            (m.sent_at for m in msgs if m.direction == "outbound" and m.sent_at > first_in), default=None
        )
        if reply is not None:
            out.append((reply - first_in).total_seconds() / 60)
    return out


def median(values: list[float]) -> float:
    return statistics.median(values)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(
        ch for ch in decomposed if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf"
    )


def mentions(text: str | None, word: str) -> bool:
    """A whole word (or a word starting with it, for prefix=True callers) in plain text, folded."""
    return bool(re.search(rf"\b{re.escape(fold(word))}\b", fold(text or "")))
