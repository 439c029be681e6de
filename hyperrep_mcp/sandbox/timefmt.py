"""Timestamp formatting and parsing in the API's style (UTC, ``Z`` suffix)."""

from __future__ import annotations

from datetime import UTC, date, datetime


def iso(moment: datetime | None) -> str | None:
    """``2026-04-29T14:00:00Z`` or, when there are microseconds, ``2026-03-12T00:32:13.782565Z``.

    The real API emits both forms, so clients must accept both; the sandbox reproduces that by
    keeping whatever precision a timestamp was generated with.
    """
    if moment is None:
        return None
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 date or datetime; naive values are taken as UTC. Raises ValueError."""
    raw = text.strip()
    if not raw:
        raise ValueError("empty")
    if len(raw) == 10:
        # A bare date means midnight UTC (FastAPI/pydantic accept it for datetime fields too).
        day = date.fromisoformat(raw)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    moment = datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1] in "zZ" else raw)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
