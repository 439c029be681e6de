"""Fitting a result into the output budget, and the shared pieces of every text result.

A result is a header line, item blocks, and a footer that says how to get more. When the items do
not fit `budget` characters, whole items are dropped from the end and the text says so; the
caller learns how many were kept so the structured output and the next cursor match the text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, tzinfo

# Where cut items went. A listing's footer carries the cursor that starts with them; a result
# without a cursor passes its own note (e.g. which call lists them all).
CUT_NOTE = "(output limit reached: {n} more not shown here; the next cursor below starts with them)"
ITEM_CUT = "\n    … [cut here to fit the output limit]"
# Below this many characters an item is not worth shortening: the whole text is clipped instead.
MIN_ITEM_ROOM = 80


def fit(
    header: str | Callable[[int], str],
    items: Sequence[str],
    footer: Callable[[int], Sequence[str]],
    budget: int,
    *,
    cut_note: str = CUT_NOTE,
    limit: int | None = None,
) -> tuple[str, int]:
    """Join header, as many leading items as fit, and `footer(kept)`; returns (text, kept).

    Items are dropped from the end, never from the middle, and `cut_note` (with `{n}`, the number
    dropped) says so. At least one item is always kept, so a listing makes progress page after
    page: when that one item alone is too long it is shortened, keeping the header and the footer
    (with its cursor) intact. The text never exceeds `budget`. A header that counts what is shown
    is a function of the kept count too, so it never claims more than the text holds. `limit`
    caps the items kept (the structured output's own budget may allow fewer than the text's).
    """

    def assemble(kept: int, first: str | None = None) -> str:
        shown = list(items[:kept])
        if first is not None:
            shown[0] = first
        tail = list(footer(kept))
        if kept < len(items):
            tail.insert(0, cut_note.format(n=len(items) - kept))
        head = header(kept) if callable(header) else header
        return "\n".join([head, *shown, *tail]).rstrip()

    cap = len(items) if limit is None else min(max(limit, 1), len(items))
    kept = cap
    text = assemble(kept)
    if len(text) > budget and kept > 1:
        # Jump close to the answer from the item lengths, then settle it exactly.
        lengths = [len(i) + 1 for i in items]
        over = len(text) - budget
        while kept > 1 and over > 0:
            kept -= 1
            over -= lengths[kept]
        text = assemble(kept)
        while len(text) > budget and kept > 1:
            kept -= 1
            text = assemble(kept)
        while kept < cap and len(candidate := assemble(kept + 1)) <= budget:
            kept, text = kept + 1, candidate
    if len(text) <= budget:
        return text, kept
    if kept == 1:
        room = budget - len(assemble(1, "")) - len(ITEM_CUT)
        if room >= MIN_ITEM_ROOM:
            shortened = assemble(1, items[0][:room].rstrip() + ITEM_CUT)
            if len(shortened) <= budget:
                return shortened, 1
    return text[: budget - 1] + "…", kept


def when(value: datetime | str | None, zone: tzinfo = UTC) -> str | None:
    """An instant as a person reads it in HYPERREP_TIMEZONE (`zone`), to the minute: '2026-11-23 14:02Z'
    in UTC, '2026-11-23 08:02-06:00' elsewhere. The offset rides on every time rather than once in a
    header because a list may straddle a DST change (-05:00 and -06:00 side by side), and the text
    stays a valid date argument for the next call. An ISO string is read as given (no offset: UTC);
    one that is not a timestamp is returned unchanged."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return value
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    if str(zone) == "UTC":
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")
    local = moment.astimezone(zone)
    offset = local.strftime("%z")  # '-0600'
    return f"{local:%Y-%m-%d %H:%M}{offset[:3]}:{offset[3:5]}"


def window_text(start: datetime | None, end: datetime | None, zone: tzinfo) -> str:
    """A window as the operator reads it, in HYPERREP_TIMEZONE (`zone`): '2026-11-01 → 2026-11-18 09:30
    (America/Chicago)'. A bound on a local day boundary (a start at midnight, an end at the day's last
    second) is its date, any other to the minute. In UTC the times carry 'Z' and
    nothing is added (the snapshots read that way); in any other zone it is named once, at the end.
    An open start reads '…', an open end 'now'."""
    utc = str(zone) == "UTC"

    def bound(value: datetime | None, boundaries: tuple[time, ...], missing: str) -> str:
        if value is None:
            return missing
        local = value.astimezone(zone)
        if local.time() in boundaries:
            return f"{local:%Y-%m-%d}"
        return f"{local:%Y-%m-%d %H:%M}" + ("Z" if utc else "")

    text = f"{bound(start, (time.min,), '…')} → {bound(end, (time.max, time(23, 59, 59)), 'now')}"
    return text if utc else f"{text} ({zone})"


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
