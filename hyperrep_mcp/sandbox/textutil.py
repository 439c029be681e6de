"""Small text helpers shared by the generator and the validators."""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD cannot decompose into ASCII.
_SPECIAL = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "đ": "d"})
_NON_ALNUM_RUN = re.compile(r"[^a-z0-9]+")


def ascii_fold(text: str) -> str:
    """``"Łukasz Wiśniewski"`` -> ``"Lukasz Wisniewski"`` (for generated email addresses)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return decomposed.encode("ascii", "ignore").decode()


def slug(text: str) -> str:
    """Lowercase, runs of non-alphanumerics become ``-``, trimmed: the API's folder rule.

    ``"Sales Follow-up"`` -> ``"sales-follow-up"``; accents are folded first so
    ``"Présupuestos"`` keeps its letters.
    """
    return _NON_ALNUM_RUN.sub("-", ascii_fold(text).lower()).strip("-")
