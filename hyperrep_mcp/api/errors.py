"""Typed errors of the HyperRep API client.

Every failure a caller can meet is one of these, built from the HTTP status and the API's `detail`
(or from the transport failure). Each carries a message that says what happened and what to do,
worded so that an LLM (or a person) can act on it without seeing a traceback. Messages never carry
the API key: `scrub` removes it from anything echoed back by the upstream.

The tree (`retryable` marked *; transport failures are translated in one place,
`hyperrep_mcp.api.client.transport_error`; statuses in `error_for_status`):

    HyperRepError
    ├── TransportError *                no usable HTTP answer
    │   ├── UnreachableError *          could not connect (or no free connection): nothing was sent
    │   ├── UpstreamTimeoutError *      no answer in time: a write may or may not have happened
    │   ├── ConnectionDroppedError *    the connection broke mid-exchange: likewise
    │   └── MalformedResponseError *    not the JSON the API documents (e.g. a proxy's HTML page)
    ├── APIStatusError                  the API answered with an error status
    │   ├── BadRequestError             400
    │   │   ├── InvalidCursorError      400 "Invalid cursor"
    │   │   └── DraftSendingError       400 the draft is being sent
    │   ├── AuthError                   403
    │   ├── NotFoundError               404 (`route_hint`, `promoted`)
    │   │   └── EndpointMissingError    an implied endpoint the API does not serve (client.py)
    │   ├── ValidationError             422
    │   ├── RateLimitedError *          429 (`retry_after`)
    │   └── ServerError *               5xx
    └── OutcomeUnknownError             a create was sent, its outcome is unknown; never retried
"""

from __future__ import annotations

from typing import Any


class HyperRepError(Exception):
    """Base of every client error. `message` is safe to show; `retryable` says a later retry may work."""

    retryable: bool = False

    def __init__(self, message: str, *, status: int | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class UnsafePathError(HyperRepError):
    """An ID the client refuses to put in a URL path (empty, '.' or '..': the HTTP client would
    collapse it and the request would leave its route). Nothing was sent."""


# --- transport: no usable HTTP answer ---------------------------------------------------------


class TransportError(HyperRepError):
    """The request got no usable answer (network, timeout, broken body)."""

    retryable = True


class UnreachableError(TransportError):
    """Could not connect; nothing was sent."""


class UpstreamTimeoutError(TransportError):
    """The API did not answer in time; a write may or may not have happened."""


class ConnectionDroppedError(TransportError):
    """The connection broke mid-exchange; a write may or may not have happened."""


class MalformedResponseError(TransportError):
    """The API answered with something that is not the JSON it documents (e.g. a proxy's HTML page)."""


# --- status: the API answered with an error ---------------------------------------------------


class APIStatusError(HyperRepError):
    """The API answered with an error status."""


class AuthError(APIStatusError):
    """403: the key is missing, invalid, inactive or expired."""


class BadRequestError(APIStatusError):
    """400: a supplied value was invalid."""


class InvalidCursorError(BadRequestError):
    """400 'Invalid cursor': the cursor is stale or from another listing."""


class DraftSendingError(BadRequestError):
    """400: the draft is being sent right now and cannot be changed."""


class ValidationError(APIStatusError):
    """422: a parameter or body field was missing or badly formatted."""


class NotFoundError(APIStatusError):
    """404: the resource does not exist for this organization/path (or moved: see `route_hint`)."""

    def __init__(self, message: str, *, status: int | None = 404, detail: str | None = None) -> None:
        super().__init__(message, status=status, detail=detail)
        self.route_hint = _route_hint(detail)

    @property
    def promoted(self) -> bool:
        """The draft was sent and now lives on as a message/conversation."""
        return self.route_hint is not None and "promot" in (self.detail or "").lower()


class RateLimitedError(APIStatusError):
    """429: too many requests; `retry_after` seconds if the API said."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx: the API failed; usually transient."""

    retryable = True


class OutcomeUnknownError(HyperRepError):
    """A non-idempotent write was sent but its outcome is unknown (timeout, dropped connection, 5xx).

    It was deliberately not retried: a retry could create a duplicate. The caller reconciles (looks
    for what may have been created) before doing anything else.
    """

    retryable = False

    def __init__(self, message: str, *, cause: HyperRepError) -> None:
        super().__init__(message, status=cause.status, detail=cause.detail)
        self.cause = cause


# --- building errors from responses ------------------------------------------------------------

_REDACTED = "[redacted]"


def scrub(text: str, *secrets: str | None) -> str:
    """Remove every secret from text an upstream may have echoed back (headers, keys)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, _REDACTED)
    return text


def detail_text(body: Any) -> str | None:
    """The API's `detail` as one line: a string as-is, a FastAPI-style list as 'loc: msg; ...'."""
    if not isinstance(body, dict) or "detail" not in body:
        return None
    detail = body["detail"]
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", []) if p not in ("body", "query", "path"))
                msg = str(item.get("msg", "invalid value"))
                parts.append(f"{loc}: {msg}" if loc else msg)
            else:
                parts.append(str(item))
        return "; ".join(parts) or None
    return str(detail)


def _route_hint(detail: str | None) -> str | None:
    """The API route a lifecycle 404 points at ('use GET /api/v2/...'), if it names one."""
    if not detail:
        return None
    idx = detail.find("/api/v2/")
    if idx < 0:
        return None
    return detail[idx:].split()[0].rstrip(".,;)")


def error_for_status(
    status: int,
    detail: str | None,
    *,
    what: str,
    retry_after: float | None = None,
) -> APIStatusError:
    """Map status + detail to the typed error, with a message that says what to do next.

    `what` names the request in plain words ("list conversations") so the message reads well.
    """
    said = f" The API said: {detail}" if detail else ""
    kw: dict[str, Any] = {"status": status, "detail": detail}
    if status == 403:
        return AuthError(
            f"HyperRep rejected the API key ({what}). Check HYPERREP_API_KEY: it must be an active key "
            f"for this account.{said}",
            **kw,
        )
    if status == 404:
        return NotFoundError(f"Not found ({what}).{said}", **kw)
    if status == 400:
        low = (detail or "").lower()
        if "invalid cursor" in low:
            return InvalidCursorError(
                f"The cursor is not valid for this listing ({what}). Restart from the first page "
                "(call again without cursor).",
                **kw,
            )
        if "sending" in low:
            return DraftSendingError(
                f"The draft is being sent right now and cannot be changed ({what}).{said}", **kw
            )
        return BadRequestError(f"HyperRep refused a value ({what}).{said}", **kw)
    if status == 422:
        return ValidationError(
            f"HyperRep could not validate the request ({what}).{said} Fix the named field and retry.",
            **kw,
        )
    if status == 429:
        wait = f" Retry in about {retry_after:g} s." if retry_after else " Retry in a little while."
        return RateLimitedError(
            f"HyperRep is rate limiting requests ({what}).{wait}", retry_after=retry_after, **kw
        )
    if status >= 500:
        return ServerError(
            f"HyperRep had a server error (HTTP {status}) ({what}). It is usually temporary: "
            "retry in a moment.",
            **kw,
        )
    return APIStatusError(f"HyperRep answered HTTP {status} ({what}).{said}", **kw)
