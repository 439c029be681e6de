"""Organizations, and the organization-wide lists and figures: companies, agents, sales, and
``GET /{org}/analytics/conversations/response-rate``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hyperrep_mcp.sandbox import dataset
from hyperrep_mcp.sandbox.errors import ApiError, Messages
from hyperrep_mcp.sandbox.records import Agent, Company, Sale
from hyperrep_mcp.sandbox.routes.common import DEFAULT_LIMIT, Call, endpoint, in_range

DEFAULT_WINDOW = timedelta(days=30)
# Clients compute "now" on their own clock; forgive a little skew before calling it the future.
FUTURE_TOLERANCE = timedelta(minutes=2)


@endpoint
async def list_organizations(call: Call) -> dict[str, Any]:
    # Not paginated in the docs: a key sees a handful of organizations at most.
    return {"data": [org.org.to_json() for org in call.sandbox.data.orgs.values()]}


@endpoint
async def list_companies(call: Call) -> dict[str, Any]:
    limit = call.query.limit(DEFAULT_LIMIT)
    call.query.check()
    org = call.org()
    companies = sorted(org.companies.values(), key=lambda c: (c.created_at, c.company_id))
    return call.page(
        companies, collection=f"companies:{org.organization_id}", to_json=Company.to_json, limit=limit
    )


@endpoint
async def list_agents(call: Call) -> dict[str, Any]:
    limit = call.query.limit(DEFAULT_LIMIT)
    call.query.check()
    org = call.org()
    return call.page(
        list(org.agents.values()),
        collection=f"agents:{org.organization_id}",
        to_json=Agent.to_json,
        limit=limit,
    )


@endpoint
async def list_sales(call: Call) -> dict[str, Any]:
    limit = call.query.limit(DEFAULT_LIMIT)
    start, end = call.date_range()
    org = call.org()
    sales = [s for s in org.sales.values() if in_range(s.closed_at, start, end)]
    sales.sort(key=lambda s: (s.closed_at, s.sale_id), reverse=True)  # most recent first
    return call.page(sales, collection=f"sales:{org.organization_id}", to_json=Sale.to_json, limit=limit)


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
    return dataset.response_rate(org, start, end)
