"""The tool surface is deliberate: a committed snapshot, and invariants every tool must keep.

Update the snapshot after an intended change with:  UPDATE_SNAPSHOT=1 uv run pytest tests/server/test_surface.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from hyperrep_mcp.config import ConfigError, load_settings
from hyperrep_mcp.server.app import build_server
from hyperrep_mcp.server.registry import by_name
from hyperrep_mcp.server.tools import ALL_TOOLS

TOOLS = by_name(ALL_TOOLS)

pytestmark = pytest.mark.anyio
SNAPSHOT = Path(__file__).parent / "tool_surface.json"
HINTS = ("read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint")


async def surface(**settings: Any) -> dict[str, Any]:
    server = build_server(load_settings(api_key="k", **settings))
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    return {
        t.name: {
            "title": t.title,
            "annotations": t.annotations.model_dump(mode="json", exclude_none=True)
            if t.annotations
            else None,
            "input_schema": t.input_schema,
            "output_schema": t.output_schema,
        }
        for t in tools
    }


async def test_surface_matches_snapshot():
    """Default mode in full; the other modes by names and hints (their schema differences have own tests)."""
    default = await surface()
    others = {
        mode: {name: tool["annotations"] for name, tool in (await surface(write_mode=mode)).items()}
        for mode in ("read_only", "autosend")
    }
    current = {"drafts": default, **others}
    if os.environ.get("UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert sorted(current) == sorted(expected)
    for mode in current:
        assert sorted(current[mode]) == sorted(expected[mode]), f"tool names changed in {mode} mode"
        for name in current[mode]:
            assert current[mode][name] == expected[mode][name], (
                f"{name} ({mode}) changed: update the snapshot"
            )


async def test_every_tool_sets_every_hint_title_description_and_output_schema():
    server = build_server(load_settings(api_key="k", write_mode="autosend"))
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    assert len(tools) == len(TOOLS)
    for t in tools:
        assert t.title, t.name
        assert t.description and len(t.description) > 80, t.name
        assert "Example:" in t.description, t.name
        assert t.output_schema, t.name
        for hint in HINTS:
            assert getattr(t.annotations, hint) is not None, f"{t.name} leaves {hint} unset"
        spec = TOOLS[t.name]
        assert t.annotations.read_only_hint is (not spec.writes)
        if not spec.writes:
            assert t.annotations.destructive_hint is False and t.annotations.idempotent_hint is True
        for prop in t.input_schema.get("properties", {}).values():
            assert prop.get("description") or prop.get("enum") or "anyOf" in prop or prop.get("type"), t.name


async def test_read_only_mode_registers_no_write_tool():
    names = set(await surface(write_mode="read_only"))
    writers = {n for n, s in TOOLS.items() if s.writes}
    assert names and not names & writers
    assert names == {n for n, s in TOOLS.items() if not s.writes}


async def test_pinned_organization_disappears_from_every_schema():
    for tool in (await surface(organization_id="org-1")).values():
        assert "organization_id" not in tool["input_schema"].get("properties", {})
    assert any(
        "organization_id" in t["input_schema"].get("properties", {}) for t in (await surface()).values()
    )


async def test_autosend_draft_only_in_autosend_mode():
    for mode in ("read_only", "drafts"):
        for tool in (await surface(write_mode=mode)).values():
            assert "autosend_draft" not in tool["input_schema"].get("properties", {})


async def test_excluded_tools_are_not_registered():
    names = set(await surface(exclude_tools="list_sales,list_agents"))
    assert "list_sales" not in names and "list_agents" not in names and "list_contacts" in names


def test_excluding_an_unknown_tool_fails_at_start():
    with pytest.raises(ConfigError, match="unknown tools: list_sale"):
        build_server(load_settings(api_key="k", exclude_tools="list_sale"))


async def test_server_publishes_instructions():
    server = build_server(load_settings(api_key="k"))
    for mode in ("auto", "legacy"):
        async with Client(server, mode=mode) as client:
            assert client.server_info.name == "hyperrep"
            assert "inbox_overview" in client.instructions
            assert "opaque" in client.instructions
            assert "for a human to review" in client.instructions
