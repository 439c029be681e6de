"""The published output schemas accept and refuse what pydantic's schemas do, apart from nulls:
our structured content never holds a null field (it is dumped with exclude_none), and the
schema says so."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from mcp import Client
from pydantic import BaseModel, Field

from hyperrep_mcp.server.schema import fast_output_schema, refuse_required_nullable


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
    assert props["count"] == {"type": "integer", "minimum": 0, "description": "how many", "title": "Count"}
    assert props["kind"]["enum"] == ["email", "sms"] and "anyOf" not in props["kind"]
    assert props["label"]["anyOf"] == [{"type": "string"}, {"type": "null"}]  # required: null stays
    assert props["tags"]["items"]["anyOf"] == [{"type": "string"}, {"type": "null"}]  # list items untouched
    assert FAST["properties"]["first"]["type"] == "object"
    assert valid(ORIGINAL, VALID) and valid(FAST, VALID)
    assert valid(ORIGINAL, {**VALID, "note": None}) and not valid(FAST, {**VALID, "note": None})


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
