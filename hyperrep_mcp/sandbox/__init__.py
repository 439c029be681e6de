"""In-package simulation of the HyperRep API v2: "the other side of the wire".

A Starlette app with seeded, deterministic data, the documented validation and errors, cursor
pagination, the draft lifecycle, response-rate analytics, latency and fault injection. It never
imports the client (``hyperrep_mcp.api``), the MCP server or ``mcp``: only the standard library,
Starlette, and uvicorn for :func:`serve`.

    app = create_app(SandboxConfig(seed=7))
    sandbox = app.state.sandbox
    sandbox.faults.script("status", status=503, path_contains="/contacts")
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hyperrep_mcp.sandbox.app import create_app
    from hyperrep_mcp.sandbox.errors import Messages
    from hyperrep_mcp.sandbox.fault_responses import DroppedConnection
    from hyperrep_mcp.sandbox.faults import FAULT_KINDS, FaultPlan
    from hyperrep_mcp.sandbox.state import RequestRecord, Sandbox

# Loaded on first use: `hyperrep-mcp --demo` needs only SandboxConfig at start-up, and the app,
# its data model and generator are slow to import (the sandbox itself is built on the first call).
_HOMES = {
    "FAULT_KINDS": "faults",
    "DroppedConnection": "fault_responses",
    "FaultPlan": "faults",
    "Messages": "errors",
    "RequestRecord": "state",
    "Sandbox": "state",
    "create_app": "app",
}

__all__ = [
    "FAULT_KINDS",
    "DroppedConnection",
    "FaultPlan",
    "Messages",
    "RequestRecord",
    "Sandbox",
    "SandboxConfig",
    "create_app",
    "serve",
]


@dataclass
class SandboxConfig:
    """How a sandbox behaves (what ``hyperrep-mcp sandbox`` flags map onto). The defaults give a
    quiet, fault-free API with the standard data.

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def serve(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the sandbox over HTTP (blocking). Imported lazily so the app never needs uvicorn."""
    from hyperrep_mcp.sandbox.http_server import serve as _serve  # uvicorn only when serving

    _serve(config, host, port)
