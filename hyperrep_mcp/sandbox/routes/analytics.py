"""``GET /{org}/analytics/conversations/response-rate``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hyperrep_mcp.sandbox import analytics
from hyperrep_mcp.sandbox.errors import ApiError, Messages
from hyperrep_mcp.sandbox.routes.common import Call, endpoint

DEFAULT_WINDOW = timedelta(days=30)
# Clients compute "now" on their own clock; forgive a little skew before calling it the future.
FUTURE_TOLERANCE = timedelta(minutes=2)


@endpoint
async def response_rate(call: Call) -> dict[str, Any]:
    start = call.query.date("start_date")
    end = call.query.date("end_date")
    call.query.check()
    org = call.org()
    now = call.sandbox.now()
    if any(d is not None and d > now + FUTURE_TOLERANCE for d in (start, end)):
        raise ApiError(400, Messages.FUTURE_RANGE)
    end = end or now
    start = start or end - DEFAULT_WINDOW
    if start > end:
        raise ApiError(400, Messages.REVERSED_RANGE)
    return analytics.response_rate(org, start, end)
