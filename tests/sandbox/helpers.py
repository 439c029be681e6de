"""Shared constants and the client factory for the sandbox tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.testclient import TestClient

from hyperrep_mcp.sandbox import SandboxConfig, create_app

# A pinned anchor keeps expectations stable; the default (current minute) is tested separately.
NOW = datetime(2026, 5, 20, 15, 30, tzinfo=UTC)
KEY = "sandbox-key"
BASE = "/api/v2/organizations"


def make_client(**config: Any) -> TestClient:
    """A TestClient on a fresh sandbox (pinned to NOW unless ``now`` is given)."""
    config.setdefault("now", NOW)
    app = create_app(SandboxConfig(**config))
    return TestClient(app, headers={"X-API-KEY": config.get("api_key", KEY)})
