"""Input checking with the API's two failure styles.

Badly *formatted* input (a limit that is not an integer, a malformed date, invalid JSON, a
missing required field, a wrong type) is a FastAPI-style 422 whose ``detail`` is a list; the
readers below collect every such problem before failing, like FastAPI does. Well-formed but
*invalid* values (an unparseable phone number, an unknown modality) are 400s with a string
``detail`` and are checked by the normalizers at the bottom, next to the API's folder rule
(:func:`slug`, whose accent folding the generator also uses for email addresses).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from hyperrep_mcp.sandbox.errors import ApiError, Messages, ValidationFailed, field_error

MAX_LIMIT = 100
_TRUE = {"true", "1", "yes", "on", "t", "y"}
_FALSE = {"false", "0", "no", "off", "f", "n"}


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


class QueryReader:
    """Typed access to query parameters; call :meth:`check` once everything is read."""

    def __init__(self, params: Mapping[str, str]) -> None:
        self.params = params
        self.errors: list[dict[str, Any]] = []

    def limit(self, default: int) -> int:
        raw = self.params.get("limit")
        if raw is None:
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            self.errors.append(
                field_error(
                    "query",
                    "limit",
                    "Input should be a valid integer, unable to parse string as an integer",
                    "int_parsing",
                    raw,
                )
            )
            return default
        if value < 1:
            self.errors.append(
                field_error(
                    "query",
                    "limit",
                    "Input should be greater than or equal to 1",
                    "greater_than_equal",
                    raw,
                    ge=1,
                )
            )
        elif value > MAX_LIMIT:
            self.errors.append(
                field_error(
                    "query",
                    "limit",
                    f"Input should be less than or equal to {MAX_LIMIT}",
                    "less_than_equal",
                    raw,
                    le=MAX_LIMIT,
                )
            )
        return value

    def date(self, name: str) -> datetime | None:
        raw = self.params.get(name)
        if raw is None or raw == "":
            return None
        try:
            return parse_iso(raw)
        except ValueError:
            self.errors.append(
                field_error(
                    "query",
                    name,
                    "Input should be a valid datetime or date, invalid datetime format",
                    "datetime_from_date_parsing",
                    raw,
                )
            )
            return None

    def text(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if value else None

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or a 422 (invalid JSON / not an object)."""
    try:
        value = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        pos = getattr(exc, "pos", 0)
        msg = getattr(exc, "msg", "Invalid encoding")
        raise ValidationFailed(
            [field_error("body", pos, "JSON decode error", "json_invalid", {}, error=msg)]
        ) from None
    if value is None:
        raise ValidationFailed([{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}])
    if not isinstance(value, dict):
        raise ValidationFailed(
            [
                {
                    "type": "model_attributes_type",
                    "loc": ["body"],
                    "msg": "Input should be a valid dictionary or object to extract fields from",
                    "input": value,
                }
            ]
        )
    return value


class BodyReader:
    """Typed access to a JSON body; unknown fields are ignored, as pydantic models do."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.errors: list[dict[str, Any]] = []

    def _missing(self, name: str) -> None:
        self.errors.append(field_error("body", name, "Field required", "missing", self.body))

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self.body.get(name)
        if value is None:
            if required:
                self._missing(name)
            return None
        if not isinstance(value, str):
            self.errors.append(
                field_error("body", name, "Input should be a valid string", "string_type", value)
            )
            return None
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.body.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        kind = "bool_parsing" if isinstance(value, str) else "bool_type"
        msg = (
            "Input should be a valid boolean, unable to interpret input"
            if kind == "bool_parsing"
            else "Input should be a valid boolean"
        )
        self.errors.append(field_error("body", name, msg, kind, value))
        return default

    def string_list(self, name: str) -> list[str]:
        value = self.body.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.errors.append(field_error("body", name, "Input should be a valid list", "list_type", value))
            return []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.errors.append(
                    {
                        "type": "string_type",
                        "loc": ["body", name, i],
                        "msg": "Input should be a valid string",
                        "input": item,
                    }
                )
        return [item for item in value if isinstance(item, str)]

    def string_map(self, name: str) -> dict[str, Any]:
        value = self.body.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.errors.append(
                field_error("body", name, "Input should be a valid dictionary", "dict_type", value)
            )
            return {}
        return value

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


# --- 400-level normalizers ------------------------------------------------------------------

_LOCAL_PART = re.compile(r"^[\w!#$%&'*+/=?^`{|}~-]+(\.[\w!#$%&'*+/=?^`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^[^\W_](?:[\w-]{0,61}[^\W_])?$")


def normalize_email(value: str) -> str:
    """Trimmed address with a lowercased domain; 400 when it is not an address."""
    address = value.strip()
    local, at, domain = address.rpartition("@")
    labels = domain.split(".")
    valid = (
        at == "@"
        and 0 < len(local) <= 64
        and _LOCAL_PART.match(local) is not None
        and len(labels) >= 2
        and all(_DOMAIN_LABEL.match(label) for label in labels)
        and labels[-1].isalpha()
        and len(labels[-1]) >= 2
    )
    if not valid:
        raise ApiError(400, Messages.INVALID_EMAIL.format(value=value))
    return f"{local}@{domain.lower()}"


_PHONE_CHARS = re.compile(r"^\+?[\d\s().-]+$")


def normalize_phone(value: str) -> str:
    """E.164 (``+14155550199``); accepts the documented US forms and international ``+`` numbers."""
    raw = value.strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    if not _PHONE_CHARS.match(raw):
        raise ApiError(400, Messages.INVALID_PHONE.format(value=value))
    if raw.startswith("+") and not digits.startswith("1"):
        if 8 <= len(digits) <= 15:
            return "+" + digits
        raise ApiError(400, Messages.INVALID_PHONE.format(value=value))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    # North American numbers: area code and exchange cannot start with 0 or 1.
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        raise ApiError(400, Messages.INVALID_PHONE.format(value=value))
    return "+1" + digits


# Letters NFKD cannot decompose into ASCII.
_SPECIAL = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "đ": "d"})
_NON_ALNUM_RUN = re.compile(r"[^a-z0-9]+")


def ascii_fold(text: str) -> str:
    """``"Łukasz Wiśniewski"`` -> ``"Lukasz Wisniewski"`` (also for generated email addresses)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return decomposed.encode("ascii", "ignore").decode()


def slug(text: str) -> str:
    """Lowercase, runs of non-alphanumerics become ``-``, trimmed: the API's folder rule.

    ``"Sales Follow-up"`` -> ``"sales-follow-up"``; accents are folded first so
    ``"Présupuestos"`` keeps its letters.
    """
    return _NON_ALNUM_RUN.sub("-", ascii_fold(text).lower()).strip("-")


def normalize_folder(value: str | None, default: str = "drafts") -> str:
    """``"Sales Follow-up"`` -> ``"sales-follow-up"``; empty or missing -> ``default``."""
    return slug(value or "") or default
