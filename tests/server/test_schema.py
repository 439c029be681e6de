"""The published schemas.

Input: every mode's tools/list obeys the rules of OpenAI's strict function calling and of Gemini's
function declarations, checked directly on what a client receives; the model-facing tool list
stays within its size budget. Output: the published output schemas accept and refuse what
pydantic's schemas do, apart from nulls: our structured content never holds a null field (it is
dumped with exclude_none), and the schema says so."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from mcp import Client
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from hyperrep_mcp.config import WRITE_MODES, load_settings
from hyperrep_mcp.server.app import build_server
from hyperrep_mcp.server.schema import (
    fast_output_schema,
    output_schemas,
    refuse_required_nullable,
    strict_input_schema,
)
from tests.support import RunningSandbox, connect, text_of


class Window(BaseModel):
    start_date: str
    end_date: str | None = None


class Item(BaseModel):
    item_id: str = Field(min_length=1)
    label: str | None  # required and nullable: keeps its null
    count: int | None = Field(default=None, ge=0, description="how many")
    kind: Literal["email", "sms"] | None = None
    window: Window | None = None
    tags: list[str | None] | None = None


class Node(BaseModel):  # recursive: keeps its $ref
    name: str
    children: list[Node] = []


class Out(BaseModel):
    items: list[Item]
    first: Item | None = None
    tree: Node | None = None
    note: str | None = None


ORIGINAL = Out.model_json_schema()
FAST = fast_output_schema(ORIGINAL)
VALID: dict[str, Any] = {
    "items": [
        {"item_id": "a", "label": None, "count": 2, "kind": "sms", "window": {"start_date": "x"}},
        {"item_id": "b", "label": "B", "tags": ["t", None]},
    ],
    "first": {"item_id": "c", "label": "C"},
    "tree": {"name": "root", "children": [{"name": "leaf", "children": []}]},
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["item_id", "label", "name", "x"]), inner)
    ),
    max_leaves=6,
)


def paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    if isinstance(value, dict):
        for k, v in value.items():
            found += paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += paths(v, (*at, i))
    return found


def replaced(value: Any, at: tuple[Any, ...], new: Any) -> Any:
    if not at:
        return new
    copy = json.loads(json.dumps(value))
    target = copy
    for step in at[:-1]:
        target = target[step]
    target[at[-1]] = new
    return copy


def without_optional_nulls(value: Any) -> Any:
    """What exclude_none makes of a value: null object fields gone, except the required nullable `label`."""
    if isinstance(value, dict):
        return {k: without_optional_nulls(v) for k, v in value.items() if v is not None or k == "label"}
    if isinstance(value, list):
        return [without_optional_nulls(v) for v in value]
    return value


def valid(schema: dict[str, Any], instance: Any) -> bool:
    return Draft202012Validator(schema).is_valid(instance)


def test_optional_fields_lose_their_null_branch_and_models_are_inlined():
    assert set(FAST["$defs"]) == {"Node"}  # only the recursive model keeps its definition
    item = FAST["properties"]["items"]["items"]
    assert "$ref" not in json.dumps(item)
    props = item["properties"]
    assert props["count"] == {"type": "integer", "minimum": 0, "description": "how many"}  # no title
    assert props["kind"]["enum"] == ["email", "sms"] and "anyOf" not in props["kind"]
    assert props["label"]["anyOf"] == [{"type": "string"}, {"type": "null"}]  # required: null stays
    assert props["tags"]["items"]["anyOf"] == [{"type": "string"}, {"type": "null"}]  # list items untouched
    assert FAST["properties"]["first"]["type"] == "object"
    assert valid(ORIGINAL, VALID) and valid(FAST, VALID)
    assert valid(ORIGINAL, {**VALID, "note": None}) and not valid(FAST, {**VALID, "note": None})


def test_titles_go_but_a_property_named_title_stays():
    class Listing(BaseModel):
        title: str
        subtitle: str | None = Field(default=None, title="Sub", description="kept")

    fast = fast_output_schema(TypeAdapter(Listing).json_schema())
    assert "Listing" not in json.dumps(fast) and '"Sub"' not in json.dumps(fast)
    assert fast["properties"]["title"] == {"type": "string"} and fast["required"] == ["title"]
    assert fast["properties"]["subtitle"] == {"type": "string", "description": "kept"}


@settings(max_examples=300, deadline=None)
@given(data=st.data(), new=json_values)
def test_same_verdict_as_the_pydantic_schema_on_null_free_mutations(data: st.DataObject, new: Any):
    at = data.draw(st.sampled_from(paths(VALID)))
    instance = without_optional_nulls(replaced(VALID, at, new))
    assert valid(FAST, instance) == valid(ORIGINAL, instance)


@pytest.mark.anyio
async def test_every_published_output_schema_is_flat_and_nulls_only_where_required(client: Client):
    def check(node: Any) -> None:
        if isinstance(node, dict):
            required = set(node.get("required", ()))
            for name, prop in (node.get("properties") or {}).items():
                assert name in required or {"type": "null"} not in prop.get("anyOf", []), name
            for v in node.values():
                check(v)
        elif isinstance(node, list):
            for v in node:
                check(v)

    for tool in (await client.list_tools()).tools:
        assert tool.output_schema is not None, tool.name
        assert "$ref" not in json.dumps(tool.output_schema), tool.name
        Draft202012Validator.check_schema(tool.output_schema)
        check(tool.output_schema)


def test_a_view_with_a_required_nullable_field_is_refused_at_build():
    class Bad(BaseModel):
        inner: Item  # Item.label is required and nullable: exclude_none would drop it

    with pytest.raises(TypeError, match="'label' is required but may be None"):
        refuse_required_nullable("t", Bad.model_json_schema())
    refuse_required_nullable("t", Window.model_json_schema())  # optional nullable fields are fine


# --- input schemas: strict function-calling modes ---------------------------------------------------
#
# OpenAI strict mode (structured outputs / function calling with strict: true): the root is an
# object (not anyOf); every object sets additionalProperties: false and lists its properties; only a
# subset of keywords is supported (strings: pattern, format; numbers: minimum, maximum, ...; arrays:
# minItems, maxItems; no title-driven refs); every property is required. MCP bridges (openai-agents'
# ensure_strict_json_schema, openai-python's to_strict_json_schema) fill `required` with every
# property themselves and refuse, or fall back to non-strict for, an open object; so what our
# schema must guarantee is that a model forced to send every property can still say "not given":
# an optional property admits null or has a default. Gemini function declarations: OpenAPI-style
# subset (no $ref in the legacy `parameters`, no type arrays, string enums, no title), nullable
# expressed as anyOf [X, null] by every converter. The intersection of both is checked here.
PORTABLE_KEYWORDS = frozenset(
    {
        "type", "description", "enum", "anyOf", "properties", "required", "additionalProperties",
        "items", "format", "pattern", "minimum", "maximum", "minItems", "maxItems", "default",
    }
)  # fmt: skip
JSON_TYPES = frozenset({"string", "integer", "number", "boolean", "array", "object", "null"})
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
TOOL_LIST_BUDGET = 22_000  # SPEC section 5: the default mode's model-facing tool list


def strict_violations(schema: dict[str, Any]) -> list[str]:
    """Every way `schema` (a tool's input schema) breaks the rules above; empty when it keeps them."""
    found: list[str] = []
    if schema.get("type") != "object" or "anyOf" in schema:
        found.append("root: must be a plain object schema")

    def walk(node: Any, at: str, depth: int) -> None:
        if not isinstance(node, dict):
            found.append(f"{at}: not a schema")
            return
        if depth > 5:
            found.append(f"{at}: nested deeper than 5 levels")
        for key in sorted(set(node) - PORTABLE_KEYWORDS):
            found.append(f"{at}: keyword {key!r} is outside the strict subset")
        kind = node.get("type")
        if "anyOf" in node:
            branches = node["anyOf"]
            if len(branches) != 2 or branches[1] != {"type": "null"} or kind is not None:
                found.append(f"{at}: anyOf other than [schema, null]")
            walk(branches[0], f"{at}|0", depth)
        elif not isinstance(kind, str) or kind not in JSON_TYPES:
            found.append(f"{at}: type {kind!r} is not one JSON type")
        if "enum" in node and (kind != "string" or not all(isinstance(v, str) for v in node["enum"])):
            found.append(f"{at}: enum must be of strings")
        if kind == "object":
            props = node.get("properties")
            if node.get("additionalProperties") is not False:
                found.append(f"{at}: additionalProperties must be false")
            if not isinstance(props, dict):
                found.append(f"{at}: an object must list its properties")
                return
            required = node.get("required", [])
            if not set(required) <= set(props):
                found.append(f"{at}: requires unknown properties")
            for name, prop in props.items():
                if not NAME.fullmatch(name):
                    found.append(f"{at}.{name}: property name")
                nullable = isinstance(prop, dict) and {"type": "null"} in prop.get("anyOf", [])
                if name not in required and not nullable and prop.get("default") is None:
                    found.append(f"{at}.{name}: optional without null or default (strict makes it required)")
                walk(prop, f"{at}.{name}", depth + 1)
        if kind == "array":
            walk(node.get("items"), f"{at}[]", depth + 1)

    walk(schema, "arguments", 0)
    return found


async def tools_for(**overrides: Any) -> list[Any]:
    async with Client(build_server(load_settings(api_key="k", **overrides))) as client:
        return (await client.list_tools()).tools


def model_facing_chars(tools: list[Any]) -> int:
    """Characters of what a client puts in front of the model: names, descriptions, input schemas."""
    facing = [{"name": t.name, "description": t.description, "inputSchema": t.input_schema} for t in tools]
    return len(json.dumps(facing, separators=(",", ":"), ensure_ascii=False))


@pytest.mark.anyio
@pytest.mark.parametrize("organization_id", [None, "org-1"], ids=["any-org", "pinned-org"])
@pytest.mark.parametrize("write_mode", WRITE_MODES)
async def test_every_mode_lists_only_strict_mode_input_schemas(write_mode: str, organization_id: str | None):
    tools = await tools_for(write_mode=write_mode, organization_id=organization_id)
    assert tools
    for tool in tools:
        assert NAME.fullmatch(tool.name), tool.name
        assert strict_violations(tool.input_schema) == [], tool.name


@pytest.mark.anyio
async def test_the_default_model_facing_tool_list_stays_within_budget():
    chars = model_facing_chars(await tools_for())
    assert chars <= TOOL_LIST_BUDGET, f"{chars} characters"


def test_the_rules_catch_what_strict_modes_reject():
    closed = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a"],
        "additionalProperties": False,
    }
    assert strict_violations(closed) == []
    assert strict_violations({**closed, "additionalProperties": True})
    assert strict_violations({k: v for k, v in closed.items() if k != "additionalProperties"})
    assert strict_violations({**closed, "properties": {"a": {"type": "string", "title": "A"}}})
    assert strict_violations(
        {**closed, "properties": {"a": {"type": "object", "additionalProperties": True}}}
    )
    assert strict_violations({**closed, "required": []})  # optional, not nullable, no default
    assert strict_violations({**closed, "properties": {"a": {"type": ["string", "null"]}}})
    assert strict_violations({**closed, "properties": {"a": {"$ref": "#/$defs/A"}}})


class Pair(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=10)
    value: str


class Args(BaseModel):
    title: str = Field(description="a property named title stays")
    pairs: list[Pair] | None = None
    limit: int = Field(default=25, ge=1, le=100)


class OpenArgs(BaseModel):
    extra: dict[str, Any] | None = None


def test_strict_input_schema_closes_inlines_and_drops_titles_and_lengths():
    schema = strict_input_schema("t", Args.model_json_schema())
    assert "$defs" not in schema and "$ref" not in json.dumps(schema)
    assert set(schema["properties"]) == {"title", "pairs", "limit"}
    assert "title" not in schema and "title" not in schema["properties"]["title"]
    pair = schema["properties"]["pairs"]["anyOf"][0]["items"]
    assert pair["additionalProperties"] is False and pair["required"] == ["name", "value"]
    assert pair["properties"]["name"] == {"type": "string"}  # maxLength is checked server-side instead
    assert schema["properties"]["limit"] == {"type": "integer", "default": 25, "minimum": 1, "maximum": 100}
    assert "default" not in schema["properties"]["pairs"]  # a null default means nothing in strict mode
    assert strict_violations(schema) == []


def test_an_open_map_is_refused_at_build():
    with pytest.raises(TypeError, match=r"t: argument arguments\.extra is an open map"):
        strict_input_schema("t", OpenArgs.model_json_schema())


@pytest.mark.anyio
async def test_custom_fields_as_a_list_reach_the_api_as_its_map(sandbox: RunningSandbox):
    fields = [{"name": "notes", "value": " Prefers SMS "}, {"name": "floors", "value": "2"}]
    async with connect(sandbox) as client:
        r = await client.call_tool("create_contact", {"name": "Kyle Rayner", "custom_fields": fields})
    assert not r.is_error, text_of(r)
    [request] = [w for w in sandbox.sandbox.writes() if w.path.endswith("/contacts")]
    assert request.json["custom_fields"] == {"notes": "Prefers SMS", "floors": "2"}
    made = sandbox.sandbox.data.org(sandbox.org).contacts[r.structured_content["contact"]["contact_id"]]
    assert dict(made.custom_fields) == {"notes": "Prefers SMS", "floors": "2"}


class _Shared(BaseModel):
    name: str
    note: str | None = None


class _Node(BaseModel):
    label: str
    children: list[_Node] = []


class _Plain(BaseModel):
    shared: _Shared
    others: list[_Shared] = []


class _Tree(BaseModel):
    shared: _Shared | None = None
    root: _Node


def test_output_schemas_generated_together_equal_each_generated_alone():
    """One pass over every view (start-up) gives each tool the schema it would get on its own: the
    shared definitions are inlined, and only a recursive one it uses stays in its `$defs`."""
    together = output_schemas([_Plain, _Tree])
    for model in (_Plain, _Tree):
        assert together[model] == fast_output_schema(TypeAdapter(model).json_schema())
    assert "$defs" not in together[_Plain]
    assert set(together[_Tree]["$defs"]) == {"_Node"}
