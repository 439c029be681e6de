"""The schemas we publish: input schemas strict function-calling modes accept as they are, and
output schemas that describe exactly what we send, in the shape validators check fastest.

Input (SPEC section 5): every object is closed (`additionalProperties: false`, at every level), no
map is open, nothing is a `$ref`, and no node carries a `title` (the property name says it, and
titles are a large share of the model-facing tool list) or a keyword outside the subset that OpenAI's strict mode
and Gemini's function declarations support. Lengths (`minLength`/`maxLength`) are outside it: the
arguments are still checked against them on every call, so a model that overshoots gets a tool
error naming the field. The ID and cursor `pattern`s are not published either (they cost the tool
list over 1,400 characters); they too are checked on every call before any request. An optional property keeps its null branch: strict converters make every
property required, and null is how a model then says "not given".

Output:
Every MCP client that honours `outputSchema` validates every structured result against it. The
schemas pydantic derives spell each optional field as `anyOf: [{...}, {"type": "null"}]` and each
nested model as a `$ref` into `$defs`; a validator then tries two branches and resolves a reference
for every field of every record. But our structured content never holds a null field: it is
dumped with `exclude_none=True`, so an absent value is an absent key. The published schema says
so — optional fields are simply not required, with their one real type — and nested models are
inlined. That is also the most portable form (no type arrays, which some clients' schema dialects
reject), and it halves the client's validation time for a 25-record list (bench/: overhead).
tests/server/test_schema.py checks that it accepts and refuses what pydantic's schema does, nulls
aside.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp.server.mcpserver.utilities.func_metadata import StrictJsonSchema
from pydantic import TypeAdapter

__all__ = ["fast_output_schema", "refuse_required_nullable", "strict_input_schema"]

_NULL = {"type": "null"}
# Keywords that take no part in validation.
_ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"}
)


# Validation keywords strict modes reject; the arguments are still validated against them server-side.
_UNPORTABLE = frozenset({"minLength", "maxLength"})
# Kept off the model-facing list for its size (SPEC section 5 budget): the only patterns are the ID
# and cursor alphabets, which every call still checks before any request, refusing a bad value with
# a tool error that names the argument.
_UNPUBLISHED = frozenset({"pattern"})
# Keywords whose value is one schema, and those whose value is a list of schemas.
_ONE_SCHEMA = ("items", "not")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")


def strict_input_schema(tool: str, schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (pydantic's, of a tool's arguments) in the strict, portable form described above.

    An open map (`additionalProperties` other than false, or an object without properties below the
    root) cannot be expressed in strict mode: refused at start-up rather than published.
    """
    defs: dict[str, Any] = schema.get("$defs", {})

    def walk(node: Any, at: str) -> Any:
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = _local(ref)
            if name not in defs or _reaches(defs, name, name, set()):
                raise TypeError(f"{tool}: argument schema at {at} has an unresolvable or recursive $ref")
            node = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
        out: dict[str, Any] = {}
        for key, value in node.items():
            if (
                key in ("title", "$defs")
                or key in _UNPORTABLE
                or key in _UNPUBLISHED
                or (key == "default" and value is None)
            ):
                continue
            if key == "properties":
                out[key] = {name: walk(prop, f"{at}.{name}") for name, prop in value.items()}
            elif key in _ONE_SCHEMA:
                out[key] = walk(value, f"{at}[]")
            elif key in _SCHEMA_LISTS:
                out[key] = [walk(item, at) for item in value]
            else:
                out[key] = value
        if out.get("type") == "object":
            if out.get("additionalProperties", False) is not False or (
                "properties" not in out and at != "arguments"
            ):
                raise TypeError(f"{tool}: argument {at} is an open map; give it named fields (strict mode)")
            out.setdefault("properties", {})
            out["additionalProperties"] = False
        return out

    return walk(schema, "arguments")


def fast_output_schema(schema: dict[str, Any], recursive: frozenset[str] | None = None) -> dict[str, Any]:
    """`schema` with local `$ref`s inlined, titles left out and the null branch of every optional
    property dropped.

    A recursive model (a `$ref` that reaches itself) keeps its references and `$defs`: inlining it
    would never end.
    """
    defs: dict[str, Any] = schema.get("$defs", {})
    if recursive is None:  # the definitions that reach themselves (given when `defs` are shared)
        recursive = recursive_definitions(defs)

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and (name := _local(ref)) in defs and name not in recursive:
            siblings = {k: inline(v) for k, v in node.items() if k != "$ref"}
            return {**inline(defs[name]), **siblings}
        # A `title` keyword (a string; a property named "title" holds a schema) only repeats the
        # name beside it, and every client checks the whole schema once per tool and session.
        node = {
            k: inline(v)
            for k, v in node.items()
            if k != "$defs" and not (k == "title" and isinstance(v, str))
        }
        props = node.get("properties")
        if isinstance(props, dict):
            required = set(node.get("required", ()))
            node["properties"] = {k: v if k in required else _without_null(v) for k, v in props.items()}
        return node

    out = inline(schema)
    # The recursive definitions the result still refers to, and those they refer to in turn.
    kept: dict[str, Any] = {}
    pending = [_local(ref) for ref in _refs(out)]
    while pending:
        name = pending.pop()
        if name in recursive and name not in kept:
            kept[name] = inline(defs[name])
            pending.extend(_local(ref) for ref in _refs(kept[name]))
    if kept:
        out["$defs"] = kept
    return out


def output_schemas(models: Sequence[type[Any]]) -> dict[type[Any], dict[str, Any]]:
    """Each model's output schema, as `fast_output_schema` gives it, generated in one pass: the
    views the models share are described once rather than once per tool (generating them was
    most of the cost of building the server). A type JSON cannot describe raises, as in the SDK."""
    keyed, shared = TypeAdapter.json_schemas(
        [(model, "validation", TypeAdapter(model)) for model in models], schema_generator=StrictJsonSchema
    )
    defs = shared.get("$defs", {})
    recursive = recursive_definitions(defs)
    schemas = {}
    for model in models:
        root = keyed[model, "validation"]
        name = _local(root.get("$ref", ""))
        if name in defs:  # a model is a `$ref` into the shared definitions: its own becomes the root
            root = {**defs[name], **{k: v for k, v in root.items() if k != "$ref"}}
        schemas[model] = fast_output_schema({**root, "$defs": defs}, recursive)
    return schemas


def refuse_required_nullable(tool: str, schema: Any) -> None:
    """Structured content is dumped with exclude_none, so a required field holding None would
    vanish and every client would reject the result. No view may declare one."""
    if isinstance(schema, list):
        for item in schema:
            refuse_required_nullable(tool, item)
        return
    if not isinstance(schema, dict):
        return
    for name in schema.get("required", ()):
        prop = (schema.get("properties") or {}).get(name, {})
        if isinstance(prop, dict) and {"type": "null"} in prop.get("anyOf", []):
            raise TypeError(f"{tool}: output field {name!r} is required but may be None; give it a default")
    for value in schema.values():
        refuse_required_nullable(tool, value)


def recursive_definitions(defs: dict[str, Any]) -> frozenset[str]:
    return frozenset(name for name in defs if _reaches(defs, name, name, set()))


def _local(ref: str) -> str | None:
    prefix = "#/$defs/"
    return ref[len(prefix) :] if ref.startswith(prefix) else None


def _reaches(defs: dict[str, Any], start: str, target: str, seen: set[str]) -> bool:
    for ref in _refs(defs.get(start)):
        name = _local(ref)
        if name == target:
            return True
        if name and name not in seen:
            seen.add(name)
            if _reaches(defs, name, target, seen):
                return True
    return False


def _refs(node: Any) -> list[str]:
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    if not isinstance(node, dict):
        return []
    found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
    return found + [r for k, v in node.items() if k != "$ref" for r in _refs(v)]


def _without_null(prop: Any) -> Any:
    """`anyOf: [S, {"type": "null"}]` (either order) -> S, keeping the property's own annotations."""
    branches = prop.get("anyOf") if isinstance(prop, dict) else None
    if not isinstance(branches, list) or _NULL not in branches:
        return prop
    others = [b for b in branches if b != _NULL]
    rest = {k: v for k, v in prop.items() if k != "anyOf" and not (k == "default" and v is None)}
    if len(others) != 1 or not isinstance(others[0], dict):
        return {**rest, "anyOf": others}
    other = others[0]
    if set(rest) & set(other) - _ANNOTATIONS:  # a constraint on both sides: keep them apart
        return {**rest, "allOf": [other]}
    return {**other, **rest}  # the property's own title and description win
