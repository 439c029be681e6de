"""Opaque, tamper-evident cursors and the paginated response envelope.

A cursor is urlsafe base64 of ``{"c": <collection digest>, "o": offset}`` followed by a truncated
HMAC.
It only decodes for the collection that issued it ("contacts of org X", "messages of
conversation Y"), so a cursor pasted into another list, edited, or invented is rejected with the
documented 400 "Invalid cursor" instead of silently returning the wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from hyperrep_mcp.sandbox.errors import ApiError, Messages

T = TypeVar("T")
_MAC_BYTES = 12


class CursorCodec:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    @staticmethod
    def _collection_tag(collection: str) -> str:
        # A digest keeps cursors short even though collection keys embed 120-character IDs.
        return hashlib.sha256(collection.encode()).hexdigest()[:12]

    def encode(self, collection: str, offset: int) -> str:
        payload = json.dumps(
            {"c": self._collection_tag(collection), "o": offset}, separators=(",", ":")
        ).encode()
        return base64.urlsafe_b64encode(payload + self._mac(payload)).decode().rstrip("=")

    def decode(self, cursor: str, collection: str) -> int:
        """The offset a cursor points at; 400 "Invalid cursor" for anything not ours."""
        invalid = ApiError(400, Messages.INVALID_CURSOR)
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise invalid from None
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, self._mac(payload)):
            raise invalid
        data = json.loads(payload)
        if (
            data.get("c") != self._collection_tag(collection)
            or not isinstance(data.get("o"), int)
            or data["o"] < 0
        ):
            raise invalid
        return data["o"]


def paginate(
    items: Sequence[T],
    *,
    codec: CursorCodec,
    collection: str,
    limit: int,
    cursor: str | None,
    to_json: Callable[[T], dict[str, Any]],
) -> dict[str, Any]:
    """One page of ``items`` in the documented envelope."""
    offset = codec.decode(cursor, collection) if cursor else 0
    end = offset + limit
    has_more = end < len(items)
    return {
        "data": [to_json(item) for item in items[offset:end]],
        "pagination": {
            "limit": limit,
            "cursor": cursor,
            "next_cursor": codec.encode(collection, end) if has_more else None,
            "has_more": has_more,
        },
    }
