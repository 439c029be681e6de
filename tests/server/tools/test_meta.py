"""Every tool in ALL_TOOLS has its own module with EXAMPLE, its snapshot test and its snapshot: this
replaces hand-kept lists of "every tool" (a listed tool without them fails here, by name)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from hyperrep_mcp.server.registry import ToolSpec, by_name
from hyperrep_mcp.server.tools import ALL_TOOLS
from tests.server.tools.snapshot import SNAPSHOTS, module_of

HERE = Path(__file__).parent
# Tools listed before they have their own module, EXAMPLE and snapshot (none left: every tool has
# them). A pending tool that gets its module must leave this set.
PENDING: frozenset[str] = frozenset()
NAMES = [spec.name for spec in ALL_TOOLS]


def test_tool_names_are_unique_and_match_their_handlers():
    named = by_name(ALL_TOOLS)  # refuses a name listed twice
    for name, spec in named.items():
        assert spec.handler.__name__ == name
    assert named.keys() >= PENDING, f"PENDING names unknown tools: {sorted(PENDING - named.keys())}"


@pytest.mark.parametrize("name", NAMES)
def test_each_tool_has_its_module_example_test_and_snapshot(name: str):
    spec = by_name(ALL_TOOLS)[name]
    module = module_of(spec)
    complete = (
        module.__name__.rsplit(".", 1)[-1] == name
        and isinstance(getattr(module, "EXAMPLE", None), dict)
        and (HERE / f"test_{name}.py").is_file()
        and (SNAPSHOTS / f"{name}.txt").is_file()
    )
    if name in PENDING:
        assert not complete, f"{name} now has its module, test and snapshot: remove it from PENDING"
        return
    assert module.__name__.rsplit(".", 1)[-1] == name, (
        f"{name} is declared in {module.__name__}, not in its own module"
    )
    assert isinstance(getattr(module, "EXAMPLE", None), dict), f"{module.__name__} defines no EXAMPLE: dict"
    declared = [v for v in vars(module).values() if isinstance(v, ToolSpec)]
    assert declared == [spec], f"{module.__name__} must declare exactly one tool"
    assert (HERE / f"test_{name}.py").is_file(), f"tests/server/tools/test_{name}.py is missing"
    assert "snapshot_test" in (HERE / f"test_{name}.py").read_text(), f"test_{name}.py runs no snapshot_test"
    assert (SNAPSHOTS / f"{name}.txt").is_file(), f"snapshots/{name}.txt is missing (UPDATE_SNAPSHOT=1)"


def test_every_snapshot_belongs_to_a_listed_tool():
    stale = {p.stem for p in SNAPSHOTS.glob("*.txt")} - set(NAMES)
    assert not stale, f"snapshots of tools no longer listed: {sorted(stale)}"


def test_the_example_arguments_are_parameters_of_the_tool():
    for spec in ALL_TOOLS:
        if spec.name in PENDING:
            continue
        params = inspect.signature(spec.handler).parameters
        unknown = set(module_of(spec).EXAMPLE) - set(params)
        assert not unknown, f"{spec.name}'s EXAMPLE names unknown arguments {sorted(unknown)}"
