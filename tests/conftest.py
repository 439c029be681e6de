"""Fixtures. Tests use the anyio pytest plugin: its async fixtures run in the test's own task, which an
entered `Client` needs (pytest-asyncio fixtures would exit its cancel scope in another task)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from mcp import Client

from hyperrep_mcp.sandbox import SandboxConfig, create_app
from tests.support import RunningSandbox, SwitchableApp, UvicornThread, connect

SLOTS = 3  # sandboxes one test may run at once over shared servers; more start their own


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sandbox_slots() -> Iterator[list[tuple[UvicornThread, SwitchableApp]]]:
    slots = []
    for _ in range(SLOTS):
        app = SwitchableApp()
        slots.append((UvicornThread(app).__enter__(), app))
    yield slots
    for thread, _ in slots:
        thread.__exit__()


@pytest.fixture
def sandbox_factory(sandbox_slots) -> Iterator[Callable[..., RunningSandbox]]:
    """Fresh sandboxes (new state each) served over real HTTP on 127.0.0.1 for this test."""
    used: list[SwitchableApp] = []
    extra: list[UvicornThread] = []

    def start(**config: Any) -> RunningSandbox:
        app = create_app(SandboxConfig(**config))
        if len(used) < len(sandbox_slots):
            thread, slot = sandbox_slots[len(used)]
            slot.target = app
            used.append(slot)
        else:
            thread = UvicornThread(app).__enter__()
            extra.append(thread)
        return RunningSandbox(thread.url, app.state.sandbox)

    yield start
    for slot in used:
        slot.target = None
    for thread in extra:
        thread.__exit__()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    return sandbox_factory()


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[Client]:
    async with connect(sandbox) as c:
        yield c
