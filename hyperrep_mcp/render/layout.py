"""Fitting a result into the output budget, and the shared pieces of every text result.

A result is a header line, item blocks, and a footer that says how to get more. When the items do
not fit `budget` characters, whole items are dropped from the end and the footer says so; the
caller learns how many were kept so the structured output and the next cursor match the text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

CUT_NOTE = "(output limit reached: {n} more not shown here; they come first with the cursor below)"


def fit(
    header: str,
    items: Sequence[str],
    footer: Callable[[int], Sequence[str]],
    budget: int,
) -> tuple[str, int]:
    """Join header, as many leading items as fit, and `footer(kept)`; returns (text, kept).

    At least one item is always kept (clipped by the caller beforehand if it is huge), so a
    listing always makes progress page after page.
    """
    kept = len(items)
    while True:
        tail = list(footer(kept))
        if kept < len(items):
            tail.insert(0, CUT_NOTE.format(n=len(items) - kept))
        text = "\n".join([header, *items[:kept], *tail]).rstrip()
        if len(text) <= budget or kept <= 1:
            return (text[: budget - 1] + "…" if len(text) > budget else text), kept
        # Drop roughly as many items as the overflow needs, at least one.
        over = len(text) - budget
        avg = max(1, sum(len(i) + 1 for i in items[:kept]) // kept)
        kept = max(1, kept - max(1, -(-over // avg)))


def when(value: datetime | None) -> str | None:
    """A timestamp as the model reads and reuses it: '2026-11-23 14:02Z'."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%d %H:%MZ")


def iso_z(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def call(name: str, **args: object) -> str:
    """A suggested next call, written the way the model will make it."""
    parts = []
    for key, value in args.items():
        if value is None:
            continue
        parts.append(f"{key}={value!r}" if not isinstance(value, str) else f'{key}="{value}"')
    return f"{name}({', '.join(parts)})"


def next_steps(calls: Sequence[str]) -> list[str]:
    """At most three suggested calls, as one footer line."""
    calls = [c for c in calls if c][:3]
    return [f"Next: {' · '.join(calls)}"] if calls else []


def join_fields(*fields: str | None) -> str:
    return " · ".join(f for f in fields if f)
