"""What every endpoint shares: API-key check, error translation, lookups, pagination."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hyperrep_mcp.sandbox.dataset import OrgData
from hyperrep_mcp.sandbox.errors import ApiError, Messages, ValidationFailed
from hyperrep_mcp.sandbox.pagination import paginate
from hyperrep_mcp.sandbox.records import Conversation
from hyperrep_mcp.sandbox.state import Sandbox
from hyperrep_mcp.sandbox.validation import BodyReader, QueryReader, parse_json_object

T = TypeVar("T")
DEFAULT_LIMIT = 25


def error_response(status: int, detail: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


class Call:
    """One request as an endpoint sees it."""

    def __init__(self, request: Request, sandbox: Sandbox) -> None:
        self.request = request
        self.sandbox = sandbox
        self.query = QueryReader(request.query_params)

    def path(self, name: str) -> str:
        return self.request.path_params[name]

    async def body(self) -> BodyReader:
        return BodyReader(parse_json_object(await self.request.body()))

    def org(self) -> OrgData:
        org = self.sandbox.data.org(self.path("organization_id"))
        if org is None:
            raise ApiError(404, Messages.INVALID_ORGANIZATION)
        return org

    def conversation(self, org: OrgData) -> Conversation:
        conv = org.conversations.get(self.path("conversation_id"))
        if conv is None:
            raise ApiError(404, Messages.CONVERSATION_NOT_FOUND)
        return conv

    def date_range(self) -> tuple[datetime | None, datetime | None]:
        """Optional start_date/end_date (422 when malformed, 400 when reversed)."""
        start, end = self.query.date("start_date"), self.query.date("end_date")
        self.query.check()
        if start is not None and end is not None and start > end:
            raise ApiError(400, Messages.REVERSED_RANGE)
        return start, end

    def page(
        self,
        items: Sequence[T],
        *,
        collection: str,
        to_json: Callable[[T], dict[str, Any]],
        limit: int,
    ) -> dict[str, Any]:
        return paginate(
            items,
            codec=self.sandbox.cursors,
            collection=collection,
            limit=limit,
            cursor=self.query.text("cursor"),
            to_json=to_json,
        )


def in_range(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    """``[start, end)``: on or after start, before end (the documented filter semantics)."""
    return (start is None or moment >= start) and (end is None or moment < end)


Handler = Callable[[Call], Awaitable[dict[str, Any] | Response]]


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: 403 without the right key, API errors as ``{"detail": ...}`` bodies."""

    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        sandbox: Sandbox = request.app.state.sandbox
        supplied = request.headers.get("x-api-key", "")
        if not hmac.compare_digest(supplied.encode(), sandbox.config.api_key.encode()):
            return error_response(403, Messages.INVALID_API_KEY)
        try:
            result = await handler(Call(request, sandbox))
        except ApiError as exc:
            return error_response(exc.status, exc.detail)
        except ValidationFailed as exc:
            return error_response(422, exc.errors)
        return result if isinstance(result, Response) else JSONResponse(result)

    return run
