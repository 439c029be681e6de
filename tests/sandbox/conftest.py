"""Fixtures for the sandbox tests: a fresh in-process app per test on a pinned clock.

Names differ from the root conftest's (``client``/``sandbox`` there are MCP/HTTP fixtures).
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from hyperrep_mcp.sandbox import Sandbox
from hyperrep_mcp.sandbox.records import Fixtures
from tests.sandbox.helpers import BASE, make_client


@pytest.fixture
def api() -> TestClient:
    return make_client()


@pytest.fixture
def live(api: TestClient) -> Sandbox:
    """The Sandbox behind ``api``."""
    return api.app.state.sandbox


@pytest.fixture
def fx(live: Sandbox) -> Fixtures:
    return live.data.fixtures


@pytest.fixture
def big(fx: Fixtures) -> str:
    """URL prefix of the big roofing organization."""
    return f"{BASE}/{fx.big_org_id}"
