"""Ground truth for the index tests, computed straight from the sandbox's own dataset (not our code)."""

from __future__ import annotations

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
    out = []
    for c in data.conversations.values():
        if start <= c.last_activity_at <= end or any(
            start <= m.sent_at <= end for m in data.messages(c.conversation_id)
        ):
            out.append(c.conversation_id)
    return out


def awaiting(data: OrgData, ids: list[str]) -> dict[str, datetime]:
    """SPEC 2: latest message inbound, folder not closed -> since the first inbound after our last reply."""
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
