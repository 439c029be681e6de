"""The one answer to "was this write already done?", for every create and send (SPEC section 3).

A write tool describes what it is about to do as an `Intent` and asks `WriteLedger.already_done`
before writing; it writes through `WriteLedger.create`, which, when HyperRep's answer is lost
(timeout, dropped connection, 5xx after sending), asks the same question upstream before any retry.
The answer is looked for in this order:
- a send: the same message already queued or sent within a confirmation's lifetime (a replayed or
  repeated confirmation, also one answered at another replica, sends once);
- this process's memory of the last minute: an identical create returns the first result;
- upstream, when the intent says it is cheap to look: an identical record made in the last minute
  (possibly by another replica).
What counts as "the same" upstream is in reconcile.py (the finders); this module decides when to look.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import anyio

from hyperrep_mcp.api.errors import OutcomeUnknownError
from hyperrep_mcp.server.cache import AsyncTTLCache
from hyperrep_mcp.server.results import ToolInputError

# "An identical create within 60 s returns the first" (SPEC section 3).
IDENTICAL_WITHIN_S = 60
# After an unknown outcome the record may take a moment to be listed.
RECONCILE_WAITS_S = (0.0, 0.5, 1.5)

Finder = Callable[[], Awaitable[Any | None]]


@dataclass(frozen=True)
class Intent:
    """One create or send, before it is written.

    `made(since)` finds upstream the record an identical create made since that instant; `sent()`,
    given only for a send, finds the same message already queued or sent. `look_upstream_first`:
    also ask `made` before writing (cheap for drafts; a contact is looked for only after a failure,
    since contacts cannot be filtered)."""

    tool: str
    org: str
    payload: Mapping[str, Any]
    made: Callable[[datetime], Awaitable[Any | None]] | None = None
    sent: Finder | None = None
    look_upstream_first: bool = False

    @property
    def key(self) -> str:
        """Identity of the request: the same tool, organization and payload (a notification aside)."""
        stable = {k: v for k, v in self.payload.items() if k != "add_notification"}
        raw = json.dumps([self.tool, self.org, stable], sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Done:
    """Where the earlier write was found, and what it was: the sent message or queued draft
    ("sent"), the first call's result ("remembered"), or the record found upstream ("made")."""

    how: Literal["sent", "remembered", "made"]
    record: Any


@dataclass(frozen=True)
class Created:
    """What a create made. `lost`: HyperRep's answer to the first attempt was lost (its reason);
    then `found` says whether the record was found made (else it was written once more)."""

    record: Any
    lost: str | None = None
    found: bool = False


class WriteLedger:
    """Per process: the results of the last minute's creates; everything else is asked upstream."""

    def __init__(self, *, max_size: int = 1000, waits_s: tuple[float, ...] = RECONCILE_WAITS_S) -> None:
        self._recent: AsyncTTLCache[Any] = AsyncTTLCache(ttl_s=IDENTICAL_WITHIN_S, max_size=max_size)
        self._waits_s = waits_s

    async def already_done(self, intent: Intent, now: datetime) -> Done | None:
        """Was this create or send already done? None: go ahead and write it."""
        if intent.sent is not None and (found := await intent.sent()) is not None:
            return Done("sent", found)
        if (earlier := self._recent.get(intent.key)) is not None:
            return Done("remembered", earlier)
        if intent.made is not None and intent.look_upstream_first and intent.sent is None:
            found = await quiet(intent.made(now))
            if found is not None and _age_s(found, now) <= IDENTICAL_WITHIN_S:
                return Done("made", found)
        return None

    def remember(self, intent: Intent, result: Any) -> None:
        """The result an identical create within the next minute returns instead of writing again."""
        self._recent.put(intent.key, result)

    async def create(self, intent: Intent, write: Finder, *, started: datetime) -> Created:
        """`write()` once; if its outcome is unknown, look for what it made before any retry. A
        create is retried once when nothing is there; a send never is."""
        try:
            return Created(await write())
        except OutcomeUnknownError as exc:
            lost = exc.cause.message
            made = intent.made
            found = await self._poll(lambda: made(started)) if made is not None else None
            if found is not None:
                return Created(found, lost=lost, found=True)
            if intent.sent is not None:
                raise ToolInputError(
                    f"HyperRep did not confirm whether the message was queued ({lost}) and it is not in the "
                    "drafts list. It was NOT retried, to avoid sending twice: check the conversation in HyperRep "
                    "before trying again."
                ) from None
            return Created(await write(), lost=lost)  # looked first: nothing there, so one more try

    async def _poll(self, find: Finder) -> Any:
        """`find()` a few times with short waits: a record may be listed a moment after it is made."""
        for wait in self._waits_s:
            if wait:
                await anyio.sleep(wait)
            found = await find()
            if found is not None:
                return found
        return None


async def quiet(read: Awaitable[Any]) -> Any:
    """A lookup must not fail the write it guards (a duplicate check before it, a read after it):
    on failure, None, and the write carries on or stands."""
    try:
        return await read
    except Exception:
        return None


def _age_s(record: Any, now: datetime) -> float:
    created = getattr(record, "created_at", None)
    return (now - created).total_seconds() if created else 0.0
