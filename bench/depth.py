"""Round-trip depth: how many upstream latencies one tool call costs.

The sandbox adds L to every request. A call's wall time / L is its depth as the user feels it
(sequential round trips plus our own CPU time in units of L); the request log gives the upstream
depth independently of wall time (`critical_path`) and the number of requests.

"cold" is the first call of a fresh server session (empty caches: contacts, companies,
organizations), "warm" the same call repeated right after. Rounds interleave the tools so machine
noise spreads over all of them; medians are reported.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from mcp import Client

from .servers import build_ours, prime
from .upstream import BenchData, SandboxProcess, critical_path


@dataclass(frozen=True)
class Case:
    label: str
    tool: str
    args: dict[str, Any]
    target: float | None = None  # cold wall/L must be <= target


def cases(data: BenchData) -> list[Case]:
    return [
        Case("list_conversations(limit=25)", "list_conversations", {"limit": 25}, 2.2),
        Case(
            f"get_conversation_thread ({data.long_thread_messages} messages)",
            "get_conversation_thread",
            {"conversation_id": data.long_thread_id, "limit": 50},
            2.2,
        ),
        Case("get_contact", "get_contact", {"contact_id": data.contact_id}, 2.2),
        Case(
            "get_response_rate(compare_to_previous)", "get_response_rate", {"compare_to_previous": True}, 1.3
        ),
        Case("inbox_overview (last 7 days)", "inbox_overview", {}, 6.0),
        Case(
            f'list_contacts(query="{data.query}") over {data.contacts} contacts',
            "list_contacts",
            {"query": data.query},
            None,
        ),
    ]


@dataclass
class Samples:
    wall_s: list[float] = field(default_factory=list)
    upstream_depth: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    errors: int = 0


async def _one_call(
    client: Client, upstream: SandboxProcess, case: Case, latency_s: float, into: Samples
) -> None:
    t0 = time.monotonic()
    started = time.perf_counter()
    result = await client.call_tool(case.tool, case.args)
    wall = time.perf_counter() - started
    t1 = time.monotonic()
    records = await upstream.requests_between(t0, t1)
    into.wall_s.append(wall)
    into.upstream_depth.append(critical_path(records, latency_s))
    into.requests.append(len(records))
    into.errors += bool(result.is_error)


async def run(upstream: SandboxProcess, data: BenchData, *, latency_ms: float, rounds: int) -> dict[str, Any]:
    latency_s = latency_ms / 1000
    server = build_ours(upstream.url, data.org_id)
    all_cases = cases(data)
    cold = {c.label: Samples() for c in all_cases}
    warm = {c.label: Samples() for c in all_cases}
    # One untimed round first: imports, first connections, the sandbox's lazily rendered threads.
    for r in range(rounds + 1):
        for case in all_cases:
            async with Client(server) as client:  # a fresh session: fresh AppState, empty caches
                await prime(client, case.tool)
                c, w = (cold[case.label], warm[case.label]) if r else (Samples(), Samples())
                await _one_call(client, upstream, case, latency_s, c)
                await _one_call(client, upstream, case, latency_s, w)
    rows = []
    for case in all_cases:
        row: dict[str, Any] = {
            "label": case.label,
            "tool": case.tool,
            "args": case.args,
            "target": case.target,
        }
        for name, s in (("cold", cold[case.label]), ("warm", warm[case.label])):
            row[name] = {
                "wall_ms": round(statistics.median(s.wall_s) * 1000, 1),
                "depth": round(statistics.median(s.wall_s) / latency_s, 2),
                "upstream_depth": statistics.median(s.upstream_depth),
                "requests": statistics.median(s.requests),
                "errors": s.errors,
                "runs_depth": [round(x / latency_s, 2) for x in s.wall_s],
            }
        row["pass"] = None if case.target is None else row["cold"]["depth"] <= case.target
        rows.append(row)
    return {"latency_ms": latency_ms, "rounds": rounds, "rows": rows}
