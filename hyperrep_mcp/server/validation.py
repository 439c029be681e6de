"""Validation and normalisation of write arguments, before any request leaves the server.

Pure functions. Each violation is a `ToolInputError` naming the field and the fix, so the model can
correct itself without a round trip and nothing half-valid reaches HyperRep. Bodies become safe
HTML: plain text is escaped into paragraphs; HTML is sanitized by nh3 (no script, style, event
handlers or javascript: links).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from hyperrep_mcp.render.text import strip_invisible
from hyperrep_mcp.server.results import ToolInputError

MAX_SUBJECT = 300
MAX_BODY = 50_000
MAX_NAME = 200
MAX_RECIPIENTS = 20
MAX_CUSTOM_FIELDS = 50
DEFAULT_REGION = "US"  # HyperRep's documented examples are North American numbers

# What a sales email needs; anything else (script, style, iframes, forms, event handlers) goes.
ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "li", "ol", "p",
    "pre", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


def email(value: str, field: str) -> str:
    """A syntactically valid address, normalised (domain lower-cased)."""
    from email_validator import EmailNotValidError, validate_email  # write path only: keeps start-up lean

    value = (value or "").strip()
    if not value:
        raise ToolInputError(f"{field} is empty: give an email address such as diana@example.com.")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ToolInputError(
            f"{field}: {value!r} is not a valid email address ({exc}). Fix the address and retry."
        ) from None


def emails(values: Iterable[str] | None, field: str) -> list[str]:
    """A list of valid addresses, duplicates removed, order kept."""
    out: list[str] = []
    for value in values or []:
        normalised = email(value, field)
        if normalised.lower() not in {o.lower() for o in out}:
            out.append(normalised)
    if len(out) > MAX_RECIPIENTS:
        raise ToolInputError(f"{field} lists {len(out)} addresses; at most {MAX_RECIPIENTS} are allowed.")
    return out


def phone(value: str, field: str) -> str:
    """A phone number in E.164 form (+14155550199); national numbers are read as US numbers."""
    import phonenumbers  # write path only: keeps start-up lean

    raw = (value or "").strip()
    try:
        parsed = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    # "Possible" (right length for the country) rather than "valid": HyperRep accepts the 555-01xx
    # example numbers, which the numbering plan marks as unassigned.
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        raise ToolInputError(
            f"{field}: {value!r} is not a phone number. Use a form such as +14155550199, 415-555-0199 or "
            "(415) 555-0199; include the country code (+44 ...) outside North America."
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# Line breaks (every character str.splitlines() splits on) and C0/C1 control characters. In a
# one-line field they would forge lines in a confirmation or headers at the mailer: refused, not
# silently removed, so the model learns what was wrong.
_NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def text(value: str | None, field: str, max_len: int) -> str | None:
    """Optional one-line text: no line breaks or control characters (refused, naming the field);
    invisible, bidi and tag characters removed, so what is shown is what is sent; stripped, empty ->
    None, bounded."""
    if value is None:
        return None
    if (bad := _NOT_ONE_LINE.search(value)) is not None:
        raise ToolInputError(
            f"{field} must be one line: it contains a line break or control character "
            f"({bad.group()!r} at position {bad.start()}). Remove it and retry."
        )
    value = strip_invisible(value).strip()
    if len(value) > max_len:
        raise ToolInputError(f"{field} is {len(value)} characters long; keep it under {max_len}.")
    return value or None


def multiline(value: str | None, field: str, max_len: int) -> str | None:
    """Optional free text where line breaks are fine (a note): invisible and control characters
    other than newline and tab removed."""
    if value is None:
        return None
    value = strip_invisible(value).strip()
    if len(value) > max_len:
        raise ToolInputError(f"{field} is {len(value)} characters long; keep it under {max_len}.")
    return value or None


def body_html(body_text: str | None, body_html_in: str | None, *, required: bool) -> str | None:
    """Exactly one of body_text / body_html, as safe HTML. Plain text becomes escaped <p> paragraphs."""
    # Zero-width, bidi, tag and format characters go before anything is shown or sent: the person
    # confirms the same characters that are delivered ("$0001" shown cannot be "$1000" sent).
    body_text = strip_invisible(body_text) if body_text is not None else None
    body_html_in = strip_invisible(body_html_in) if body_html_in is not None else None
    has_text = body_text is not None and body_text.strip() != ""
    has_html = body_html_in is not None and body_html_in.strip() != ""
    if has_text and has_html:
        raise ToolInputError(
            "Give either body_text or body_html, not both (body_text is simplest: plain text)."
        )
    if not (has_text or has_html):
        if required:
            raise ToolInputError("The message body is missing: pass body_text with the text to send.")
        return None
    source = body_text if has_text else body_html_in
    assert source is not None
    if len(source) > MAX_BODY:
        raise ToolInputError(f"The body is {len(source)} characters long; keep it under {MAX_BODY}.")
    if has_text:
        return text_to_html(source)
    cleaned = sanitize_html(source)
    if not re.sub(r"<[^>]*>|&nbsp;|\s", "", cleaned):
        raise ToolInputError(
            "body_html has no visible text once unsafe markup is removed: pass body_text instead."
        )
    return cleaned


def text_to_html(value: str) -> str:
    """Plain text as HTML: blank lines separate paragraphs, single newlines become <br>."""
    paragraphs = re.split(r"\n\s*\n", value.strip().replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(
        "<p>" + "<br>".join(html.escape(line, quote=False) for line in p.split("\n")) + "</p>"
        for p in paragraphs
        if p.strip()
    )


def sanitize_html(value: str) -> str:
    import nh3  # write path only: keeps start-up lean

    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def custom_fields(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    if len(value) > MAX_CUSTOM_FIELDS:
        raise ToolInputError(
            f"custom_fields has {len(value)} entries; at most {MAX_CUSTOM_FIELDS} are allowed."
        )
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = text(str(key), "custom_fields key", 100)
        if not name:
            raise ToolInputError(
                'custom_fields has an empty key: name every field, e.g. {"notes": "Prefers SMS"}.'
            )
        if item is not None and not isinstance(item, str | int | float | bool):
            raise ToolInputError(f"custom_fields[{name!r}] must be text, a number or true/false.")
        out[name] = multiline(item, f"custom_fields[{name!r}]", 2000) if isinstance(item, str) else item
    return out


# --- IDs and cursors: what may go into an API path or query --------------------------------------

# HyperRep's IDs are Fernet tokens (urlsafe base64: `gAAAAAB...=`) or legacy `HR_id_...` strings:
# letters, digits, '-', '_' and '='. Anything else (a '/', '%2F', '?', '#', whitespace, a dot
# segment that the HTTP client would collapse) cannot be an ID, so it never reaches a request.
# The patterns allow "" (an optional argument left empty means "not given"); a required ID also
# has a minimum length of 1.
ID_PATTERN = r"^[A-Za-z0-9_=-]*$"
MAX_ID = 500
# Cursors (the API's, and ours from server/cursor.py: `hc1.` + base64) also hold '.', but never
# start with one, so '.' and '..' are refused too.
CURSOR_PATTERN = r"^([A-Za-z0-9_=-][A-Za-z0-9_.=-]*)?$"
MAX_CURSOR = 2000
_ID = re.compile(ID_PATTERN)


def id_problem(field: str) -> str:
    return (
        f"{field} is not a HyperRep ID: IDs hold only letters, digits, '-', '_' and '=' "
        f"(at most {MAX_ID} characters). Copy it exactly from a previous result."
    )


def cursor_problem(field: str = "cursor") -> str:
    return (
        f"{field}: the cursor is damaged or not from this server. Restart from the first page (omit {field})."
    )


def api_id(value: str, field: str) -> str:
    """An ID checked against the API's alphabet and length, for paths the schema does not guard
    (resource templates); tool arguments get the same check from their schema."""
    if not isinstance(value, str) or not value or len(value) > MAX_ID or not _ID.fullmatch(value):
        raise ToolInputError(id_problem(field))
    return value
