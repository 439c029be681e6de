"""The per-tool snapshot harness: a tool called with its module's EXAMPLE, on a sandbox pinned in
time and a server whose clock is pinned to the same instant, through a real in-memory MCP client;
the full text must equal tests/server/tools/snapshots/<tool>.txt.

A tool's test module is one call: `test_example = snapshot_test(<module>)`. Rewrite the snapshots
after an intended change with:  UPDATE_SNAPSHOT=1 uv run pytest tests/server/tools
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from mcp import Client

from hyperrep_mcp.server.app import build_server
from hyperrep_mcp.server.registry import ToolSpec
from hyperrep_mcp.server.tools import ALL_TOOLS
from tests.support import RunningSandbox, settings_for, text_of, warm_up_done

# A fixed instant: the sandbox generates its data relative to it and the server reads it as "now".
PINNED = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
SNAPSHOTS = Path(__file__).parent / "snapshots"


def module_of(spec: ToolSpec) -> ModuleType:
    return sys.modules[spec.handler.__module__]


def example_of(spec: ToolSpec) -> dict[str, Any]:
    return module_of(spec).EXAMPLE


async def example_text(
    sb: RunningSandbox,
    spec: ToolSpec,
    *,
    tools: Sequence[ToolSpec] = ALL_TOOLS,
    client_options: dict[str, Any] | None = None,
    **settings: Any,
) -> tuple[str, Any]:
    """The tool's full text (and the whole result) for its EXAMPLE on `sb`, served among `tools`.
    `client_options`: e.g. an `elicitation_callback` answering a write tool's confirmation."""
    server = build_server(
        settings_for(sb, **settings), tools=tools, default_organization_id=sb.org, clock=lambda: PINNED
    )
    started = time.monotonic()
    async with Client(server, **(client_options or {})) as client:
        await warm_up_done(sb, since=started)
        result = await client.call_tool(spec.name, example_of(spec))
    return text_of(result), result


def snapshot_test(
    module: ModuleType, *, client_options: dict[str, Any] | None = None, **settings: Any
) -> Callable[[Callable[..., RunningSandbox]], Coroutine[Any, Any, None]]:
    """The snapshot test of the tool declared in `module`. `settings`: overrides such as write_mode;
    `client_options`: e.g. the `elicitation_callback` a confirmed write needs."""
    spec = next(v for v in vars(module).values() if isinstance(v, ToolSpec))

    @pytest.mark.anyio
    async def test_example_matches_snapshot(sandbox_factory: Callable[..., RunningSandbox]) -> None:
        sb = sandbox_factory(now=PINNED)
        text, result = await example_text(sb, spec, client_options=client_options, **settings)
        assert not result.is_error, text
        path = SNAPSHOTS / f"{spec.name}.txt"
        if os.environ.get("UPDATE_SNAPSHOT") or not path.exists():
            if not os.environ.get("UPDATE_SNAPSHOT"):
                pytest.fail(f"{path.name} is missing; create it with UPDATE_SNAPSHOT=1")
            path.write_text(text + "\n", encoding="utf-8")
        assert text + "\n" == path.read_text(encoding="utf-8"), (
            f"{spec.name}'s text changed; if intended: UPDATE_SNAPSHOT=1 uv run pytest {__file__.rsplit('/', 1)[0]}"
        )

    return test_example_matches_snapshot
