"""CONTRIBUTING.md's worked example really works: its module, served with ALL_TOOLS plus the one line
it adds, answers its EXAMPLE on the sandbox with the contact's sales (ground truth from the
sandbox's own data), and its test module is the one-line snapshot test."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

import hyperrep_mcp.server.tools as tools_package
from hyperrep_mcp.server.registry import ToolSpec, by_name
from hyperrep_mcp.server.tools import ALL_TOOLS
from tests.server.tools.snapshot import PINNED, example_text
from tests.support import RunningSandbox

DOC = Path(__file__).resolve().parent.parent / "CONTRIBUTING.md"
MODULE = "hyperrep_mcp.server.tools.list_sales_by_contact"


def blocks() -> dict[str, str]:
    """The document's code blocks, keyed by the file the line before each block names."""
    text = DOC.read_text(encoding="utf-8")
    found = re.findall(r"`([\w/.]+\.py)`[^\n]*:\n\n```(?:python|text)\n(.*?)```", text, re.S)
    return dict(found)


@pytest.fixture
def example_module(tmp_path: Path) -> Iterator[ModuleType]:
    """The document's module, importable under the name it would have in the package (and only for
    this test: nothing is written into the source tree)."""
    code = blocks()["hyperrep_mcp/server/tools/list_sales_by_contact.py"]
    path = tmp_path / "list_sales_by_contact.py"
    path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(MODULE, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[MODULE]


def test_the_recipe_is_three_files():
    assert set(blocks()) == {
        "hyperrep_mcp/server/tools/list_sales_by_contact.py",
        "tests/server/tools/test_list_sales_by_contact.py",
        "hyperrep_mcp/server/tools/__init__.py",
    }


@pytest.mark.anyio
async def test_the_worked_example_runs_on_the_sandbox(
    example_module: ModuleType, sandbox_factory: Callable[..., RunningSandbox]
):
    line = blocks()["hyperrep_mcp/server/tools/__init__.py"].strip()
    added = eval(line.rstrip(","), {"list_sales_by_contact": example_module})  # the line ALL_TOOLS gains
    assert isinstance(added, ToolSpec) and added.name == "list_sales_by_contact"
    assert "list_sales_by_contact" not in by_name(ALL_TOOLS)
    assert isinstance(example_module.EXAMPLE, dict)

    sb = sandbox_factory(now=PINNED)
    contact_id = example_module.EXAMPLE["contact_id"]
    org = sb.sandbox.data.org(sb.org)
    expected = [s for s in org.sales.values() if s.contact_id == contact_id]
    contact = org.contacts[contact_id]
    text, result = await example_text(sb, added, tools=(*ALL_TOOLS, added))

    assert not result.is_error, text
    assert expected, "the example's contact has no sales in the sandbox"
    assert text.splitlines()[0].endswith(f"— {len(expected)} shown")
    assert len(result.structured_content["items"]) == len(expected)
    for sale in expected:
        assert f"{sale.amount}" in text
    assert f"contact_id={contact_id}" in text
    assert contact.name.split()[0] in text


def test_the_example_test_module_is_the_snapshot_test(example_module: ModuleType, monkeypatch):
    monkeypatch.setattr(tools_package, "list_sales_by_contact", example_module, raising=False)
    namespace: dict = {}
    exec(blocks()["tests/server/tools/test_list_sales_by_contact.py"], namespace)
    assert namespace["test_example"].__name__ == "test_example_matches_snapshot"


def test_every_shared_helper_module_is_listed():
    """The tools folder's modules that are not tools are the shared helpers: each has its line."""
    folder = Path(tools_package.__file__).parent
    tool_names = {spec.name for spec in by_name(ALL_TOOLS).values()}
    helpers = {p.name for p in folder.glob("*.py") if p.stem not in tool_names and p.stem != "__init__"}
    listed = set(re.findall(r"^- `(\w+\.py)`: ", DOC.read_text(encoding="utf-8"), re.M))
    assert helpers == listed
    assert "three files you write" in DOC.read_text(encoding="utf-8")
