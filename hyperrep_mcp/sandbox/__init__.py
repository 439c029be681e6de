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

from hyperrep_mcp.sandbox.app import create_app
from hyperrep_mcp.sandbox.config import SandboxConfig
from hyperrep_mcp.sandbox.errors import Messages
from hyperrep_mcp.sandbox.fault_responses import DroppedConnection
from hyperrep_mcp.sandbox.faults import FAULT_KINDS, FaultPlan
from hyperrep_mcp.sandbox.state import RequestRecord, Sandbox

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


def serve(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the sandbox over HTTP (blocking). Imported lazily so the app never needs uvicorn."""
    from hyperrep_mcp.sandbox.serve import serve as _serve  # uvicorn only when serving

    _serve(config, host, port)
