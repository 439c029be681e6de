"""How a tool answers: one compact text plus our lean structured view, or a clear error.

Some clients hand `structuredContent`, not the text, to the model, so it obeys the same output
limit as the text: measured as serialized JSON, cut by dropping whole items from the end of its
lists (and, when one item alone is too big, by shortening its longest texts), and always saying
so in a `truncated` field, with the cursor that continues where it stopped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from hyperrep_mcp.render.views import Out, Truncation

ELLIPSIS = "…"
# Values a next call needs whole: an ID or a cursor cut short is useless.
_KEEP_WHOLE = ("next_cursor", "suggested_calls", "notice", "truncated")
# Values from a fixed set (the schema's enums): shortened, they would no longer be valid.
_FIXED_VALUES = ("status", "outcome", "direction")
# Maps whose entries are data, not a fixed shape: entries may be dropped (and counted) to fit.
_OPEN_MAPS = ("custom_fields", "extra", "by_folder")
# Room for a next_cursor that replaces the text's one after the cut.
_CURSOR_ROOM = 300
_MAX_ROUNDS = 200
# Shorter strings are not worth cutting: a map entry or an item goes instead.
_MIN_SHORTENED = 40


class ToolInputError(Exception):
    """The model's arguments cannot work; the message names the field and the fix. Nothing was sent."""


def json_size(data: Any) -> int:
    """Characters of `data` as JSON, as the client receives it (UTF-8, not \\u-escaped)."""
    return len(json.dumps(data, ensure_ascii=False))


def tool_result(view: BaseModel, text: str, *, budget: int | None = None) -> CallToolResult:
    """`budget` bounds the structured output too (list results use `fitted_result` instead, which
    keeps the text and the structured output showing the same items)."""
    data = view.model_dump(mode="json", exclude_none=True)
    if budget is not None:
        data = bound_structured(data, budget)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def fitted_result(
    fit_text: Callable[[int | None], tuple[str, int]],
    build: Callable[[int], BaseModel],
    *,
    total: int,
    list_name: str,
    budget: int,
) -> CallToolResult:
    """A list result whose text and structured output show the same items, both within `budget`.

    `fit_text(limit)` fits the text (at most `limit` items) and says how many it kept;
    `build(n)` makes the structured view of the first n items, with the cursor after them. When
    the JSON of what the text shows is too big, fewer are shown in both, and the text's cut note
    and the structured `truncated` field say how many were left for the next cursor.
    """
    text, kept = fit_text(None)

    def dumped(n: int) -> dict[str, Any]:
        view = build(n)
        if n < total and isinstance(view, Out):
            view.truncated = Truncation(omitted={list_name: total - n}, budget=budget)
        return view.model_dump(mode="json", exclude_none=True)

    data = dumped(kept)
    if json_size(data) > budget and kept > 1:
        low, high = 1, kept - 1  # the largest n whose structured output fits (1 always stays)
        while low < high:
            mid = (low + high + 1) // 2
            if json_size(dumped(mid)) <= budget:
                low = mid
            else:
                high = mid - 1
        text, kept = fit_text(low)
        data = dumped(kept)
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=bound_structured(data, budget)
    )


def bound_result(result: CallToolResult, budget: int) -> CallToolResult:
    """The last line of defence for results built without a budget (a no-op when already within)."""
    data = result.structured_content
    if data is None or json_size(data) <= budget:
        return result
    return result.model_copy(update={"structured_content": bound_structured(data, budget)})


def bound_structured(
    data: dict[str, Any], budget: int, *, cursor_at: Callable[[int], str | None] | None = None
) -> dict[str, Any]:
    """`data` cut to at most `budget` characters of JSON, saying what was cut; never a silent cut.

    In order, while too big: whole items from the end of the biggest list (one always stays),
    long texts shortened, entries of open maps dropped, suggested calls dropped, and finally
    every text but IDs, cursors and the notice shortened to a few characters. The result keeps
    its schema: should IDs alone exceed the budget, it is returned valid rather than mangled.
    """
    if json_size(data) <= budget:
        return data
    data = json.loads(json.dumps(data))  # a private copy to cut
    earlier = data.pop("truncated", None) or {}
    omitted: dict[str, int] = dict(earlier.get("omitted") or {})
    record = {
        "omitted": omitted,
        "shortened_fields": int(earlier.get("shortened_fields") or 0),
        "budget": budget,
    }
    data = {"truncated": record, **data}  # counted while cutting: the record is part of the result
    # A cursor that replaces the text's one may be longer; anything else is measured as is.
    target = budget - (_CURSOR_ROOM if cursor_at is not None else 0)
    main = _main_list(data)
    for _ in range(_MAX_ROUNDS):
        over = json_size(data) - target
        if over <= 0 or not _cut_once(data, over, record):
            break
    if main in omitted and cursor_at is not None:
        # The text's cursor continues after the items the text shows; here fewer are shown.
        nxt = cursor_at(len(data[main]))
        if nxt:
            data["next_cursor"] = nxt
        else:
            data.pop("next_cursor", None)
    return data


def _cut_once(data: dict[str, Any], over: int, record: dict[str, Any]) -> bool:
    """One cut of about `over` characters, the least damaging available; False when none is left."""
    omitted = record["omitted"]
    found = _largest_list(data)
    if found is not None:
        name, items = found
        drop = _items_to_drop(items, over)
        omitted[name] = omitted.get(name, 0) + drop
        del items[len(items) - drop :]
        return True
    if _shorten_longest_text(data, over, _MIN_SHORTENED):
        record["shortened_fields"] += 1
        return True
    found_map = _largest_map(data)
    if found_map is not None:
        name, entries = found_map
        drop = _items_to_drop(list(entries.items()), over)
        omitted[name] = omitted.get(name, 0) + drop
        for key in list(entries)[len(entries) - drop :]:
            del entries[key]
        return True
    if data.get("suggested_calls"):
        omitted["suggested_calls"] = omitted.get("suggested_calls", 0) + len(data["suggested_calls"])
        data["suggested_calls"] = []
        return True
    if _shorten_longest_text(data, over, 1):
        record["shortened_fields"] += 1
        return True
    return False


def _main_list(data: dict[str, Any]) -> str | None:
    """The list a result is about (messages of a thread, rows of a listing): its largest one."""
    lists = [k for k, v in data.items() if isinstance(v, list) and k not in _KEEP_WHOLE]
    return max(lists, key=lambda k: json_size(data[k]), default=None)


def _largest_list(data: dict[str, Any]) -> tuple[str, list[Any]] | None:
    """The list to cut next, at any depth (named by its path, "messages" or "contact.tags"): the
    biggest with more than one item (one always stays, so a listing still makes progress)."""
    best: tuple[int, str, list[Any]] | None = None
    stack: list[tuple[str, Any]] = [(str(k), v) for k, v in data.items() if k not in _KEEP_WHOLE]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{path}.{k}", v) for k, v in value.items())
        elif isinstance(value, list):
            size = json_size(value) if len(value) > 1 else 0
            if size and (best is None or size > best[0]):
                best = (size, path, value)
            stack.extend((f"{path}.{i}", v) for i, v in enumerate(value))
    return (best[1], best[2]) if best is not None else None


def _largest_map(data: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """An open map of many small entries (custom or extra fields, folder counts) to cut, at any depth."""
    best: tuple[int, str, dict[str, Any]] | None = None
    stack: list[tuple[str, Any]] = [(str(k), v) for k, v in data.items() if k not in _KEEP_WHOLE]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            name = path.rsplit(".", 1)[-1]
            size = json_size(value) if name in _OPEN_MAPS and len(value) > 1 else 0
            if size and (best is None or size > best[0]):
                best = (size, path, value)
            stack.extend((f"{path}.{k}", v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}", v) for i, v in enumerate(value))
    return (best[1], best[2]) if best is not None else None


def _items_to_drop(items: list[Any], over: int) -> int:
    drop, freed = 0, 0
    while drop < len(items) - 1 and freed < over:
        drop += 1
        freed += json_size(items[-drop]) + 2
    return max(drop, 1)


def _shorten_longest_text(data: Any, over: int, shortest: int) -> bool:
    """Cut the longest string value (not an ID, cursor or suggested call) by about `over` characters."""
    best: tuple[int, Any, Any] | None = None
    stack: list[tuple[Any, Any, Any]] = [(None, None, data)]
    while stack:
        parent, key, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(
                (value, k, v)
                for k, v in value.items()
                if k not in _KEEP_WHOLE
                and k not in _FIXED_VALUES
                and k != "id"
                and not str(k).endswith("_id")
            )
        elif isinstance(value, list):
            stack.extend((value, i, v) for i, v in enumerate(value))
        elif isinstance(value, str) and parent is not None and (best is None or len(value) > best[0]):
            best = (len(value), parent, key)
    if best is None or best[0] <= shortest:
        return False
    length, parent, key = best
    keep = max(length - over - 1, shortest // 2)
    parent[key] = parent[key][:keep].rstrip() + ELLIPSIS
    return True


def tool_error(text: str) -> CallToolResult:
    return CallToolResult(is_error=True, content=[TextContent(type="text", text=text)])
