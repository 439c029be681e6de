"""Deterministic opaque IDs in the two forms the real API uses.

IDs are derived by hashing a stable key (``"7/org1/contact/17"``), not drawn from the data
generator's random stream, so they stay the same when ``now`` changes or when the generator
learns new fields. Two forms, both opaque to clients:

* Fernet-like tokens: ``gAAAAAB`` + urlsafe base64 (``-`` and ``_`` included) ending in ``=``,
  exactly what an encrypted ``cryptography.fernet`` token looks like (version byte 0x80, a
  timestamp, then ciphertext and MAC).
* Legacy ``HR_id_...`` strings.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Literal

IdStyle = Literal["fernet", "hr"]

# Fernet tokens carry their creation time; pin it to a plausible 2024 window so every token
# starts with the familiar ``gAAAAABl``/``gAAAAABm`` prefix.
_FERNET_EPOCH = 0x6500_0000


def _digest(key: str) -> bytes:
    data = key.encode()
    return hashlib.sha512(data).digest() + hashlib.sha256(data).digest()


def fernet_id(key: str) -> str:
    """A 120-character Fernet-like token (89 bytes -> one ``=`` of padding)."""
    digest = _digest(key)
    stamp = (_FERNET_EPOCH + int.from_bytes(digest[:3], "big")).to_bytes(8, "big")
    payload = b"\x80" + stamp + digest[3:83]
    return base64.urlsafe_b64encode(payload).decode()


def hr_id(key: str) -> str:
    """A legacy ``HR_id_`` identifier (22 urlsafe characters after the prefix)."""
    digest = hashlib.sha256(key.encode()).digest()
    return "HR_id_" + base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def make_id(key: str, style: IdStyle) -> str:
    return fernet_id(key) if style == "fernet" else hr_id(key)


def pick_style(key: str, fernet_share: float) -> IdStyle:
    """Choose a form from the key itself, so the mix is stable without consuming randomness."""
    bucket = hashlib.sha256(b"style:" + key.encode()).digest()[0] / 256
    return "fernet" if bucket < fernet_share else "hr"
