"""The live state of one sandbox: its data fork, clock, request log and fault plan."""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hyperrep_mcp.sandbox import SandboxConfig, lifecycle
from hyperrep_mcp.sandbox.dataset import Dataset
from hyperrep_mcp.sandbox.faults import WRITE_METHODS, FaultPlan
from hyperrep_mcp.sandbox.generate import pristine_dataset
from hyperrep_mcp.sandbox.pagination import CursorCodec
from hyperrep_mcp.sandbox.records import make_id

REQUEST_LOG_LIMIT = 50_000  # past this, the oldest half of the log is dropped


@dataclass
class RequestRecord:
    """One request as the sandbox saw it, with the status it answered (0: connection dropped)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int
    at: float  # time.monotonic() when the request arrived


class Sandbox:
    """Everything a running sandbox knows. Reachable as ``app.state.sandbox``."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        anchor = self.config.anchor()
        # Forking copies containers only (see dataset.py): cheap enough to do per app.
        self.data: Dataset = pristine_dataset(self.config.seed, anchor).fork()
        self.requests: list[RequestRecord] = []
        self.faults = FaultPlan(self.config.fault_rate, self.config.seed)
        self.cursors = CursorCodec(hashlib.sha256(f"hyperrep-sandbox/{self.config.seed}".encode()).digest())
        # Unpinned: the clock is real time (which is at or after the minute the data is
        # anchored to). Pinned: it starts at the given instant. Either way it then advances.
        self._clock_start = datetime.now(UTC) if self.config.now is None else anchor
        self._t0 = time.monotonic()
        self._skew = timedelta(0)
        self._ids = itertools.count()

    # --- clock -------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The sandbox clock (UTC, aware)."""
        return self._clock_start + timedelta(seconds=time.monotonic() - self._t0) + self._skew

    def advance(self, seconds: float) -> None:
        """Move the clock forward (lets tests reach promotion without sleeping)."""
        self._skew += timedelta(seconds=seconds)

    # --- helpers -----------------------------------------------------------------------------

    def new_id(self, kind: str) -> str:
        """IDs for records created at runtime: deterministic per sandbox, in creation order."""
        return make_id(f"{self.config.seed}/live/{kind}/{next(self._ids)}", "fernet")

    def promote_due_drafts(self, force: bool = False) -> int:
        """Promote queued drafts whose sending window has passed (``force``: all queued now)."""
        after = timedelta(seconds=self.config.promote_after_s)
        now = self.now()
        return sum(
            lifecycle.promote_due(org, now, after, self.new_id, force=force)
            for org in self.data.orgs.values()
        )

    def primary_organization_id(self) -> str:
        """The big organization (the one with the well-known fixtures)."""
        return self.data.fixtures.big_org_id

    def log(self, record: RequestRecord) -> None:
        """Keep the request log bounded: a long-running sandbox (or a load test) must not grow forever."""
        self.requests.append(record)
        if len(self.requests) > REQUEST_LOG_LIMIT:
            del self.requests[: len(self.requests) // 2]

    def writes(self) -> list[RequestRecord]:
        """The POST/PUT/PATCH/DELETE requests received (tests assert "no upstream write")."""
        return [r for r in self.requests if r.method in WRITE_METHODS]
