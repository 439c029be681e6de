"""Per-call overhead, in memory, zero upstream latency: our tool call against

- the same upstream requests made directly with the API client (what the call must cost anyway),
- a bare MCPServer tool that does nothing, through the same kind of in-memory client (the SDK's
  own per-call floor).

`overhead` = ours - direct: everything our MCP call adds to the API work (SDK dispatch, argument
validation, our guard, rendering, structured output, the log line). `vs floor` = overhead / floor:
1.0 would mean our tool costs no more on top of the API than the SDK's do-nothing call. The mcp
client re-validates every structuredContent against the tool's outputSchema (jsonschema, in the
client process); a second client with that check switched off splits the overhead into what the
client spends validating our output and what the server spends. Warm caches
(the realistic steady state: organization, companies and contacts cached), calls interleaved in a
shuffled order each round, medians reported.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mcp import Client

from hyperrep_mcp.api import HyperRepClient
from hyperrep_mcp.server.concurrency import gather

from .servers import build_bare_server, build_ours
from .upstream import API_KEY, BenchData, SandboxProcess

Direct = Callable[[HyperRepClient], Awaitable[Any]]


@dataclass(frozen=True)
class Case:
    label: str
    tool: str
    args: dict[str, Any]
    direct: Direct  # the upstream requests the warm tool call makes, made with the API client


def cases(data: BenchData) -> list[Case]:
    org = data.org_id

    def rate(api: HyperRepClient) -> Awaitable[Any]:
        end = datetime.now(UTC).replace(microsecond=0)
        return api.get_response_rate(org, start_date=end - timedelta(days=30), end_date=end)

    async def latest(api: HyperRepClient, convs: list[Any]) -> Any:
        # Each row's channel, subject and gist: the conversation's latest message (a one-day look-back).
        return await gather(
            *(
                (
                    lambda c=c: api.list_messages(
                        org, c.conversation_id, limit=50, start_date=c.last_activity_at - timedelta(days=1)
                    )
                )
                for c in convs
            )
        )

    async def contact(api: HyperRepClient) -> Any:
        _, page = await gather(
            lambda: api.get_contact(org, data.contact_id),
            lambda: api.list_contact_conversations(org, data.contact_id, limit=25),
        )
        recent = sorted(page.data, key=lambda c: c.last_activity_at, reverse=True)[:5]
        return await latest(api, recent)

    async def conversations(api: HyperRepClient) -> Any:
        page = await api.list_conversations(org, limit=25)
        return await latest(api, page.data)

    def thread(api: HyperRepClient) -> Awaitable[Any]:
        cid = data.long_thread_id
        return gather(
            lambda: api.list_messages(org, cid, limit=50),
            lambda: api.get_conversation(org, cid),
            lambda: api.list_response_drafts(org, cid, limit=5),
        )

    return [
        Case("get_response_rate", "get_response_rate", {}, rate),
        Case("get_contact", "get_contact", {"contact_id": data.contact_id}, contact),
        Case(
            "list_conversations(limit=25)",
            "list_conversations",
            {"limit": 25},
            conversations,
        ),
        Case(
            f"get_conversation_thread ({data.long_thread_messages} messages)",
            "get_conversation_thread",
            {"conversation_id": data.long_thread_id, "limit": 50},
            thread,
        ),
    ]


async def _timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    result = await call()
    elapsed = time.perf_counter() - started
    if getattr(result, "is_error", False):
        raise RuntimeError(f"benchmarked call failed: {result.content}")
    return elapsed


async def _no_validation(name: str, result: Any) -> None:
    return None


async def run(upstream: SandboxProcess, data: BenchData, *, calls: int, warmup: int = 10) -> dict[str, Any]:
    all_cases = cases(data)
    rng = random.Random(7)
    server = build_ours(upstream.url, data.org_id)
    async with (
        Client(server) as ours,
        Client(server) as unchecked,
        Client(build_bare_server()) as bare,
        HyperRepClient(API_KEY, base_url=upstream.url) as api,
    ):
        unchecked.session.validate_tool_result = _no_validation  # type: ignore[method-assign]
        jobs: dict[str, Callable[[], Awaitable[Any]]] = {"floor": lambda: bare.call_tool("noop", {})}
        for case in all_cases:
            jobs[f"ours:{case.label}"] = lambda c=case: ours.call_tool(c.tool, c.args)
            jobs[f"unchecked:{case.label}"] = lambda c=case: unchecked.call_tool(c.tool, c.args)
            jobs[f"direct:{case.label}"] = lambda c=case: c.direct(api)
        requests = {}
        for name, job in jobs.items():
            for _ in range(warmup):
                await _timed(job)
            t0 = time.monotonic()
            await job()
            requests[name] = len(await upstream.requests_between(t0, time.monotonic()))
        samples: dict[str, list[float]] = {name: [] for name in jobs}
        order = list(jobs)
        for _ in range(calls):
            rng.shuffle(order)
            for name in order:
                samples[name].append(await _timed(jobs[name]))
    med = {name: statistics.median(xs) for name, xs in samples.items()}
    floor = med["floor"]
    rows = []
    for case in all_cases:
        ours_s, direct_s = med[f"ours:{case.label}"], med[f"direct:{case.label}"]
        unchecked_s = med[f"unchecked:{case.label}"]
        overhead = ours_s - direct_s
        rows.append(
            {
                "label": case.label,
                "ours_ms": round(ours_s * 1000, 3),
                "direct_ms": round(direct_s * 1000, 3),
                "floor_ms": round(floor * 1000, 3),
                "overhead_ms": round(overhead * 1000, 3),
                "client_validation_ms": round((ours_s - unchecked_s) * 1000, 3),
                "server_overhead_ms": round((unchecked_s - direct_s) * 1000, 3),
                "vs_floor": round(overhead / floor, 2),
                "vs_direct": round(ours_s / direct_s, 2),
                "requests_ours": requests[f"ours:{case.label}"],
                "requests_direct": requests[f"direct:{case.label}"],
                "target": 1.5,
                "pass": overhead / floor <= 1.5,
            }
        )
    return {"calls": calls, "floor_ms": round(floor * 1000, 3), "rows": rows}
