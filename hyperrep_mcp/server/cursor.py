"""Our own opaque list cursors.

A tool may show fewer items than an API page holds (the output budget, a client-side filter), so
"where to continue" is an API cursor plus a position inside that page. Both travel in one opaque
token. A string that is not one of ours is passed to the API unchanged, so raw API cursors work
too; a bad one then fails upstream with "Invalid cursor" and the advice to restart.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

_PREFIX = "hc1."


@dataclass(frozen=True)
class Position:
    """Fetch the API page at `api_cursor` with `page_size`, then skip `skip` items of it."""

    api_cursor: str | None = None
    page_size: int | None = None
    skip: int = 0


def encode(position: Position) -> str:
    payload = {"c": position.api_cursor, "n": position.page_size, "s": position.skip}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return _PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str | None) -> Position:
    if not token:
        return Position()
    if not token.startswith(_PREFIX):
        return Position(api_cursor=token)
    body = token[len(_PREFIX) :]
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        api_cursor, size, skip = data["c"], data["n"], data["s"]
        if not (api_cursor is None or isinstance(api_cursor, str)):
            raise TypeError
        if not (size is None or (isinstance(size, int) and 1 <= size <= 100)):
            raise TypeError
        if not (isinstance(skip, int) and 0 <= skip < 100):
            raise TypeError
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidToolCursor from exc
    return Position(api_cursor, size, skip)


class InvalidToolCursor(ValueError):
    """The cursor is damaged or not from this server."""
