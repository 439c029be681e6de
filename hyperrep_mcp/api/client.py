"""Async client for HyperRep API v2: one pooled connection, typed results, typed errors, safe retries.

It knows nothing of MCP and can be used on its own:

    async with HyperRepClient(api_key="...") as api:
        orgs = await api.list_organizations()

Retries: safe requests (GET, DELETE, the idempotent response-draft upsert) are retried with
exponential backoff and jitter on connection failures, timeouts, broken bodies, 429 (honouring
Retry-After) and 5xx. A non-idempotent create is retried only when it provably never reached the
API (connection refused, 429); any other failure after sending raises `OutcomeUnknownError`, so the
caller can look for what may have been created instead of creating it twice.
Every call is bounded by `deadline_s` in total, whatever the upstream does.
"""

from __future__ import annotations

import contextvars
import email.utils
import functools
import json as jsonlib
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import anyio
import httpx2
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from hyperrep_mcp import __version__
from hyperrep_mcp.api import errors as e
from hyperrep_mcp.api.models import (
    Agent,
    Company,
    Contact,
    Conversation,
    DraftReceipt,
    Message,
    MessageDraft,
    Organization,
    Page,
    ResponseDraft,
    ResponseRate,
    Sale,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.hyperrep.ai"
API_PREFIX = "/api/v2/organizations"
# How long an idle connection is kept for the next call. An assistant thinks for seconds between
# tool calls: with httpx2's default of 5 s nearly every call would connect (and shake hands over
# TLS) again. Under the 60 s idle timeout common to load balancers; a connection the server closed
# sooner is noticed before use and replaced.
KEEPALIVE_S = 55.0
MAX_LIMIT = 100
# A connect that times out at `wait_s` reports itself before the whole request's bound does.
_CONNECT_FIRST_S = 0.05
# Waiting longer than this for a Retry-After is worse than telling the caller to come back later.
MAX_RETRY_AFTER_S = 20.0

M = TypeVar("M", bound=BaseModel)
_PAGED = (Organization, Contact, Conversation, Message, Company, Agent, Sale, MessageDraft, ResponseDraft)
# pydantic caches a parametrized generic weakly: a `Page[X]` that nobody holds is collected by the
# next full garbage collection and rebuilt, schema and validator, on its next use. Held here, the
# ones the warm-up builds are still there for the first call.
_PAGE_TYPES: dict[type[BaseModel], type[Page[Any]]] = {}


def page_of(item: type[M]) -> type[Page[M]]:
    """`Page[item]`, built once per process."""
    page = _PAGE_TYPES.get(item)
    if page is None:
        page = _PAGE_TYPES[item] = Page[item]
    return page


DateLike = datetime | str | None


@dataclass
class CallStats:
    """Upstream traffic of one logical operation (e.g. one tool call); see `track_calls`."""

    requests: int = 0
    retries: int = 0


_stats: contextvars.ContextVar[CallStats | None] = contextvars.ContextVar("hyperrep_call_stats", default=None)


def track_calls() -> CallStats:
    """Start counting upstream requests in the current context (tasks started from it share it)."""
    stats = CallStats()
    _stats.set(stats)
    return stats


def current_stats() -> CallStats | None:
    """The counters of the operation running in this context, if one is being tracked."""
    return _stats.get()


def iso(value: DateLike) -> str | None:
    """A datetime as the API's ISO 8601 UTC form ('2026-04-01T00:00:00Z'); strings pass through."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _seg(value: str) -> str:
    """One path segment: IDs are opaque and may hold '=', '/', '+' — encode everything.

    Percent-encoding leaves '.' alone, and a '.' or '..' segment is collapsed by URL resolution
    (`/organizations/../contacts` is `/contacts`): such a segment, or an empty one, is refused.
    The server checks IDs before calling; this is the last line for any other caller.
    """
    text = str(value)
    if text in ("", ".", ".."):
        raise e.UnsafePathError(
            f"{text!r} cannot be an ID: an ID is never empty, '.' or '..'. Nothing was sent; "
            "copy the ID exactly from a previous result."
        )
    return quote(text, safe="")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class HyperRepClient:
    """HyperRep API v2 client. Use as an async context manager (or call `aclose`)."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        max_retries: int = 3,
        deadline_s: float = 50.0,
        retry_wait_initial: float = 0.25,
        retry_wait_max: float = 4.0,
        transport: httpx2.AsyncBaseTransport | None = None,
        max_connections: int = 64,
        ssl_context: ssl.SSLContext | None = None,
        keepalive_s: float = KEEPALIVE_S,
    ) -> None:
        if not api_key:
            raise ValueError("an API key is required")
        self.__api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.deadline_s = deadline_s
        self._wait_initial = retry_wait_initial
        self._wait_max = retry_wait_max
        self._transport = transport
        self._max_connections = max_connections
        self._ssl_context = ssl_context  # None: the system's trust store
        self._keepalive_s = keepalive_s
        self._client: httpx2.AsyncClient | None = None

    @property
    def _http(self) -> httpx2.AsyncClient:
        """The connection pool, made on first use (the server's warm-up makes it in the background,
        right after the MCP client has initialized)."""
        if self._client is None:
            self._client = httpx2.AsyncClient(
                base_url=self.base_url,
                headers={
                    "X-API-KEY": self.__api_key,
                    "User-Agent": f"hyperrep-mcp/{__version__}",
                    "Accept": "application/json",
                },
                timeout=httpx2.Timeout(self.timeout),
                transport=self._transport,
                limits=httpx2.Limits(
                    max_connections=self._max_connections,
                    max_keepalive_connections=self._max_connections,
                    keepalive_expiry=self._keepalive_s,
                ),
                # A transport of the caller's (--demo's in-process sandbox) does its own TLS, if any.
                verify=self._ssl_context or (_tls_context() if self._transport is None else True),
                follow_redirects=False,
                # HTTP/1.1 with kept connections. httpx2 can offer HTTP/2 publicly, but against a
                # server that answers HTTP/1.1 its pool then queues concurrent requests behind
                # connections still being made, and its h2/hpack DEBUG logs carry the encoded key.
                http2=False,
            )
        return self._client

    def prepare(self) -> None:
        """Build now what the first requests would build: the connection pool (with its TLS
        context) and the typed page models (pydantic makes each `Page[...]` on first use)."""
        _ = self._http
        for model in _PAGED:
            page_of(model)

    def __repr__(self) -> str:  # never show the key
        return f"HyperRepClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> HyperRepClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    # --- the one request path ----------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        safe: bool | None = None,
    ) -> Any:
        """Send one logical request (with retries as `safe` allows) and return the decoded JSON body.

        `safe` defaults to True for GET/DELETE and False otherwise. `what` names the operation in
        error messages. Returns None for an empty (204) answer.
        """
        if safe is None:
            safe = method in ("GET", "DELETE")
        query = {k: v for k, v in (params or {}).items() if v is not None}
        deadline = time.monotonic() + self.deadline_s
        stats = _stats.get()

        def backoff(exc: Exception) -> bool | float:
            """stamina hook: retry or not, and a Retry-After wait when the API gave one."""
            if not isinstance(exc, e.HyperRepError):
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                return False
            if isinstance(exc, e.RateLimitedError):
                if exc.retry_after is None:
                    return True
                return exc.retry_after if exc.retry_after < min(remaining, MAX_RETRY_AFTER_S) else False
            if safe:
                return exc.retryable
            # A create is retried only when it certainly never reached the API.
            return isinstance(exc, e.UnreachableError)

        import stamina  # loaded by the server's warm-up, not on the way to `initialize`

        attempts = 0
        try:
            async for attempt in stamina.retry_context(
                on=backoff,
                attempts=self.max_retries + 1,
                timeout=self.deadline_s,
                wait_initial=self._wait_initial,
                wait_max=self._wait_max,
                wait_jitter=self._wait_initial,
            ):
                with attempt:
                    attempts += 1
                    if stats is not None:
                        stats.requests += 1
                        if attempts > 1:
                            stats.retries += 1
                    remaining = max(0.05, deadline - time.monotonic())
                    return await self._send_once(
                        method, path, query, json, what, min(self.timeout, remaining)
                    )
        except e.HyperRepError as exc:
            if not safe and _outcome_unknown(exc):
                raise e.OutcomeUnknownError(
                    f"HyperRep did not confirm the write ({what}): {exc.message} It may or may not "
                    "have been saved; it was not retried to avoid a duplicate.",
                    cause=exc,
                ) from exc
            if attempts > 1 and exc.retryable:
                exc.message = f"{exc.message} (gave up after {attempts} attempts)"
            raise
        raise AssertionError("unreachable")  # pragma: no cover - stamina always yields an attempt

    async def _send_once(
        self, method: str, path: str, query: dict[str, Any], body: Any, what: str, wait_s: float
    ) -> Any:
        # One URL, parsed once: given a relative path and params, httpx2 parses and re-validates
        # the URL three times, character by character (~0.1 ms a request with our long IDs).
        url = httpx2.URL(
            f"{self.base_url}{path}?{httpx2.QueryParams(query)}" if query else self.base_url + path
        )
        try:
            # The wait for the answer is bounded by cancelling this request alone (anyio), not by
            # httpx2's read timeout. Connecting keeps its own timeout, a moment shorter, so an
            # unreachable API is still said to be unreachable.
            with anyio.fail_after(wait_s + _CONNECT_FIRST_S):
                resp = await self._http.request(
                    method, url, json=body, timeout=httpx2.Timeout(wait_s, read=None)
                )
        except (TimeoutError, httpx2.TransportError) as exc:
            raise transport_error(exc, base_url=self.base_url, what=what, wait_s=wait_s) from exc
        return self._decode(resp, what)

    def _decode(self, resp: httpx2.Response, what: str) -> Any:
        status = resp.status_code
        body: Any = None
        text = resp.text
        is_json = "json" in resp.headers.get("content-type", "")
        if text:
            try:
                body = jsonlib.loads(text)
            except ValueError:
                body = None
                if 200 <= status < 300 or is_json:
                    raise e.MalformedResponseError(
                        f"HyperRep sent a response that is not valid JSON (HTTP {status}, {what}). "
                        "It is usually a temporary upstream problem: retry in a moment.",
                        status=status,
                    ) from None
        if 200 <= status < 300:
            return body
        detail = e.detail_text(body)
        if detail is not None:
            detail = e.scrub(detail, self.__api_key)[:500]
        raise e.error_for_status(
            status, detail, what=what, retry_after=_retry_after(resp.headers.get("retry-after"))
        )

    def _parse(self, model: type[M], body: Any, what: str) -> M:
        try:
            return model.model_validate(body)
        except PydanticValidationError as exc:
            raise e.MalformedResponseError(
                f"HyperRep answered in an unexpected shape ({what}): {exc.error_count()} field error(s)."
            ) from None

    async def _get(self, model: type[M], path: str, what: str, **params: Any) -> M:
        return self._parse(model, await self.request("GET", path, what=what, params=params), what)

    async def _page(self, item: type[M], path: str, what: str, **params: Any) -> Page[M]:
        limit = params.get("limit")
        if limit is not None:
            params["limit"] = max(1, min(int(limit), MAX_LIMIT))
        for key in ("start_date", "end_date"):
            if key in params:
                params[key] = iso(params[key])
        return self._parse(page_of(item), await self.request("GET", path, what=what, params=params), what)

    # --- organizations, contacts, companies, agents ------------------------------------------

    async def list_organizations(self) -> list[Organization]:
        return (await self._page(Organization, API_PREFIX, "list organizations")).data

    async def list_contacts(self, org: str, *, limit: int = 25, cursor: str | None = None) -> Page[Contact]:
        return await self._page(Contact, f"{_org(org)}/contacts", "list contacts", limit=limit, cursor=cursor)

    async def get_contact(self, org: str, contact_id: str) -> Contact:
        return await self._get(Contact, f"{_org(org)}/contacts/{_seg(contact_id)}", "get contact")

    async def create_contact(self, org: str, fields: Mapping[str, Any]) -> Contact:
        what = "create contact"
        body = await self.request("POST", f"{_org(org)}/contacts", what=what, json=dict(fields), safe=False)
        return self._parse(Contact, body, what)

    async def list_contact_conversations(
        self,
        org: str,
        contact_id: str,
        *,
        limit: int = 25,
        cursor: str | None = None,
        start_date: DateLike = None,
        end_date: DateLike = None,
    ) -> Page[Conversation]:
        return await self._page(
            Conversation,
            f"{_org(org)}/contacts/{_seg(contact_id)}/conversations",
            "list a contact's conversations",
            limit=limit,
            cursor=cursor,
            start_date=start_date,
            end_date=end_date,
        )

    async def list_companies(self, org: str, *, limit: int = 25, cursor: str | None = None) -> Page[Company]:
        return await self._page(
            Company, f"{_org(org)}/companies", "list companies", limit=limit, cursor=cursor
        )

    async def list_agents(self, org: str, *, limit: int = 25, cursor: str | None = None) -> Page[Agent]:
        return await self._page(Agent, f"{_org(org)}/agents", "list agents", limit=limit, cursor=cursor)

    # --- conversations and messages ----------------------------------------------------------

    async def list_conversations(
        self,
        org: str,
        *,
        limit: int = 25,
        cursor: str | None = None,
        start_date: DateLike = None,
        end_date: DateLike = None,
    ) -> Page[Conversation]:
        return await self._page(
            Conversation,
            f"{_org(org)}/conversations",
            "list conversations",
            limit=limit,
            cursor=cursor,
            start_date=start_date,
            end_date=end_date,
        )

    async def get_conversation(self, org: str, conversation_id: str) -> Conversation:
        """Conversation detail (implied by the docs, not documented): raises `EndpointMissingError`
        when the API does not serve it, so callers can fall back to listings."""
        path = f"{_org(org)}/conversations/{_seg(conversation_id)}"
        return await self._implied(Conversation, path, "get conversation", "conversation not found")

    async def list_messages(
        self,
        org: str,
        conversation_id: str,
        *,
        limit: int = 50,
        cursor: str | None = None,
        start_date: DateLike = None,
        end_date: DateLike = None,
    ) -> Page[Message]:
        return await self._page(
            Message,
            f"{_org(org)}/conversations/{_seg(conversation_id)}/messages",
            "list messages",
            limit=limit,
            cursor=cursor,
            start_date=start_date,
            end_date=end_date,
        )

    async def get_message(self, org: str, conversation_id: str, message_id: str) -> Message:
        path = f"{_org(org)}/conversations/{_seg(conversation_id)}/messages/{_seg(message_id)}"
        return await self._implied(Message, path, "get message", "message not found")

    async def _implied(self, model: type[M], path: str, what: str, documented_404: str) -> M:
        try:
            return await self._get(model, path, what)
        except e.APIStatusError as exc:
            missing_route = exc.status == 405 or (
                exc.status == 404 and documented_404 not in (exc.detail or "").lower()
            )
            if missing_route:
                raise EndpointMissingError(
                    f"This HyperRep API does not serve {what}.", status=exc.status
                ) from exc
            raise

    # --- analytics and sales -------------------------------------------------------------------

    async def get_response_rate(
        self, org: str, *, start_date: DateLike = None, end_date: DateLike = None
    ) -> ResponseRate:
        return await self._get(
            ResponseRate,
            f"{_org(org)}/analytics/conversations/response-rate",
            "get response rate",
            start_date=iso(start_date),
            end_date=iso(end_date),
        )

    async def list_sales(
        self,
        org: str,
        *,
        limit: int = 25,
        cursor: str | None = None,
        start_date: DateLike = None,
        end_date: DateLike = None,
    ) -> Page[Sale]:
        return await self._page(
            Sale,
            f"{_org(org)}/sales",
            "list sales",
            limit=limit,
            cursor=cursor,
            start_date=start_date,
            end_date=end_date,
        )

    # --- message drafts ------------------------------------------------------------------------

    async def create_message_draft(self, org: str, fields: Mapping[str, Any]) -> DraftReceipt:
        what = "create message draft"
        body = await self.request(
            "POST", f"{_org(org)}/message-drafts", what=what, json=dict(fields), safe=False
        )
        return self._parse(DraftReceipt, body, what)

    async def list_message_drafts(
        self,
        org: str,
        *,
        limit: int = 25,
        cursor: str | None = None,
        start_date: DateLike = None,
        end_date: DateLike = None,
    ) -> Page[MessageDraft]:
        return await self._page(
            MessageDraft,
            f"{_org(org)}/message-drafts",
            "list message drafts",
            limit=limit,
            cursor=cursor,
            start_date=start_date,
            end_date=end_date,
        )

    async def get_message_draft(self, org: str, draft_id: str) -> MessageDraft:
        return await self._get(
            MessageDraft, f"{_org(org)}/message-drafts/{_seg(draft_id)}", "get message draft"
        )

    async def delete_message_draft(self, org: str, draft_id: str) -> None:
        await self.request(
            "DELETE", f"{_org(org)}/message-drafts/{_seg(draft_id)}", what="delete message draft"
        )

    # --- response drafts -----------------------------------------------------------------------

    async def upsert_response_draft(
        self, org: str, conversation_id: str, fields: Mapping[str, Any]
    ) -> DraftReceipt:
        """Create or overwrite the conversation's one pending draft. Idempotent, hence retried, unless
        it asks HyperRep to send: a send is never retried (its lost answer raises OutcomeUnknownError)."""
        what = "save response draft"
        path = f"{_org(org)}/conversations/{_seg(conversation_id)}/response-drafts"
        safe = fields.get("autosend_draft") is not True
        body = await self.request("POST", path, what=what, json=dict(fields), safe=safe)
        return self._parse(DraftReceipt, body, what)

    async def list_response_drafts(
        self,
        org: str,
        conversation_id: str,
        *,
        limit: int = 25,
        cursor: str | None = None,
        start_date: DateLike = None,
        end_date: DateLike = None,
    ) -> Page[ResponseDraft]:
        return await self._page(
            ResponseDraft,
            f"{_org(org)}/conversations/{_seg(conversation_id)}/response-drafts",
            "list response drafts",
            limit=limit,
            cursor=cursor,
            start_date=start_date,
            end_date=end_date,
        )

    async def get_response_draft(self, org: str, conversation_id: str, response_id: str) -> ResponseDraft:
        path = f"{_org(org)}/conversations/{_seg(conversation_id)}/response-drafts/{_seg(response_id)}"
        return await self._get(ResponseDraft, path, "get response draft")

    async def delete_response_draft(self, org: str, conversation_id: str, response_id: str) -> None:
        path = f"{_org(org)}/conversations/{_seg(conversation_id)}/response-drafts/{_seg(response_id)}"
        await self.request("DELETE", path, what="delete response draft")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The default verifying TLS context (system trust store), built once: it costs ~25 ms each time."""
    return httpx2.create_ssl_context()


def transport_error(exc: Exception, *, base_url: str, what: str, wait_s: float) -> e.TransportError:
    """The one translation of a transport failure (anyio's deadline or httpx2's errors) into ours."""
    if isinstance(exc, httpx2.ConnectError | httpx2.ConnectTimeout):
        return e.UnreachableError(
            f"Could not reach HyperRep at {base_url} ({what}). Check HYPERREP_BASE_URL and the "
            "network, then retry."
        )
    if isinstance(exc, httpx2.PoolTimeout):
        return e.UnreachableError(f"Too many requests to HyperRep in flight ({what}); retry in a moment.")
    if isinstance(exc, TimeoutError | httpx2.TimeoutException):
        return e.UpstreamTimeoutError(
            f"HyperRep did not answer within {wait_s:.0f} s ({what}). Retry later; if it keeps "
            "happening, raise HYPERREP_TIMEOUT."
        )
    return e.ConnectionDroppedError(
        f"The connection to HyperRep broke before an answer arrived ({what}). Retry in a moment."
    )


class EndpointMissingError(e.NotFoundError):
    """The API does not serve an implied (undocumented) endpoint; callers fall back."""


def _org(org: str) -> str:
    return f"{API_PREFIX}/{_seg(org)}"


def _outcome_unknown(exc: e.HyperRepError) -> bool:
    """After sending a create, these failures leave its outcome unknown."""
    return isinstance(
        exc, e.UpstreamTimeoutError | e.ConnectionDroppedError | e.MalformedResponseError | e.ServerError
    )


async def paginate(
    fetch: Callable[[str | None], Awaitable[Page[M]]],
    *,
    cursor: str | None = None,
    max_pages: int | None = None,
    max_items: int | None = None,
) -> AsyncIterator[Page[M]]:
    """Walk a cursor listing page by page, from `cursor`, stopping at the end or at a bound.

    `fetch(cursor)` returns one page. The last yielded page's `next_cursor` is where to continue.
    """
    pages = items = 0
    while True:
        page = await fetch(cursor)
        pages += 1
        items += len(page.data)
        yield page
        cursor = page.next_cursor
        if cursor is None or (max_pages is not None and pages >= max_pages):
            return
        if max_items is not None and items >= max_items:
            return
