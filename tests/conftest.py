"""Fixtures. Tests use the anyio pytest plugin: its async fixtures run in the test's own task, which an
entered `Client` needs (pytest-asyncio fixtures would exit its cancel scope in another task)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from mcp import Client

from hyperrep_mcp.sandbox import SandboxConfig, create_app
from tests.support import RunningSandbox, UvicornThread, connect


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., RunningSandbox]]:
    """Start sandboxes (fresh state each) over real HTTP; all stopped after the test."""
    started: list[UvicornThread] = []

    def start(**config: Any) -> RunningSandbox:
        app = create_app(SandboxConfig(**config))
        thread = UvicornThread(app).__enter__()
        started.append(thread)
        return RunningSandbox(thread.url, app.state.sandbox)

    yield start
    for thread in started:
        thread.__exit__()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    return sandbox_factory()


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[Client]:
    async with connect(sandbox) as c:
        yield c
