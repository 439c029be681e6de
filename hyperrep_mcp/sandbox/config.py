"""Settings of one sandbox instance (what ``hyperrep-mcp sandbox`` flags map onto)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass
class SandboxConfig:
    """How a sandbox behaves. The defaults give a quiet, fault-free API with the standard data.

    ``now`` anchors the generated data (every timestamp is relative to it); ``None`` means the
    current UTC time truncated to the minute, so "the last 7 days" always has traffic while runs in
    the same minute still produce identical data.
    """

    seed: int = 7
    api_key: str = "sandbox-key"
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    now: datetime | None = None
    # False: conversation detail and message detail answer 404 like unknown routes, so client
    # fallbacks (list + filter) can be exercised.
    implied_endpoints: bool = True
    # How long a queued draft stays "currently sending" before it is promoted.
    promote_after_s: float = 2.0

    def anchor(self) -> datetime:
        """The instant the dataset is generated relative to (timezone-aware UTC)."""
        if self.now is None:
            return datetime.now(UTC).replace(second=0, microsecond=0)
        if self.now.tzinfo is None:
            return self.now.replace(tzinfo=UTC)
        return self.now.astimezone(UTC)
