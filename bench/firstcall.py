"""The first call after idle, as a person feels it: a fresh server process over stdio, the tools
listed, 1.5 s of idle (the person typing), then one tool call; wall time in upstream round trips.

The sandbox adds RTT to every request. Each sample spawns a new process, so nothing a previous
call loaded or connected helps: what the call does not find ready, it pays for. Ours and the naive
baseline (bench/naive_server.py, the same tools as one would write them in an afternoon) are
measured side by side, round by round, so machine noise hits both alike. The sandbox's request
log gives, independently of wall time, the requests the call made and its sequential depth.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import anyio

# The MCP client validates structured results with jsonschema, imported on its first validation:
# loaded here once, so that no sample pays for the bench's own client.
import jsonschema  # noqa: F401
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from .child import ROOT
from .servers import text_of
from .upstream import API_KEY, BenchData, SandboxProcess, critical_path

SERVERS = {
    "ours": ["-m", "hyperrep_mcp"],
    "naive": [str(ROOT / "bench" / "naive_server.py")],
}


@dataclass(frozen=True)
class Case:
    label: str
    tool: str
    args: dict[str, Any]
    target: float  # ours: wall/RTT must be <= target


def cases(data: BenchData) -> list[Case]:
    return [
        Case("list_conversations(limit=25)", "list_conversations", {"limit": 25}, 2.5),
        Case(
            f"get_conversation_thread ({data.long_thread_messages} messages)",
            "get_conversation_thread",
            {"conversation_id": data.long_thread_id, "limit": 50},
            2.5,
        ),
        Case("get_contact", "get_contact", {"contact_id": data.contact_id}, 2.5),
        Case(
            "get_response_rate(compare_to_previous)", "get_response_rate", {"compare_to_previous": True}, 1.5
        ),
    ]


@dataclass
class Samples:
    wall_s: list[float] = field(default_factory=list)
    upstream_depth: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def params_for(server: str, upstream: SandboxProcess) -> StdioServerParameters:
    assert upstream.data is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERREP_")}
    env.update(
        {
            "HYPERREP_API_KEY": API_KEY,
            "HYPERREP_BASE_URL": upstream.url,
            "HYPERREP_ORGANIZATION_ID": upstream.data.org_id,
            "PYTHONPATH": str(ROOT),
        }
    )
    return StdioServerParameters(command=sys.executable, args=SERVERS[server], env=env, cwd=str(ROOT))


async def first_call(
    server: str, upstream: SandboxProcess, case: Case, *, idle_s: float, into: Samples
) -> None:
    """Spawn, initialize (the handshake, as today's desktop clients do), list the tools, stay idle,
    then time one call."""
    rtt_s = upstream.latency_ms / 1000
    with open(os.devnull, "w") as devnull:  # noqa: ASYNC230 - /dev/null never blocks
        async with Client(
            stdio_client(params_for(server, upstream), errlog=devnull), mode="legacy"
        ) as client:
            await client.list_tools()
            await anyio.sleep(idle_s)
            t0 = time.monotonic()
            started = time.perf_counter()
            result = await client.call_tool(case.tool, case.args)
            wall = time.perf_counter() - started
            t1 = time.monotonic()
    records = await upstream.requests_between(t0, t1)
    into.wall_s.append(wall)
    into.upstream_depth.append(critical_path(records, rtt_s))
    into.requests.append(len(records))
    if result.is_error:
        into.errors.append(f"{server} {case.tool}: {text_of(result)[:200]}")


async def run(upstream: SandboxProcess, *, rounds: int, idle_s: float = 1.5) -> dict[str, Any]:
    assert upstream.data is not None
    assert upstream.latency_ms > 0
    rtt_s = upstream.latency_ms / 1000
    all_cases = cases(upstream.data)
    samples = {(c.label, s): Samples() for c in all_cases for s in SERVERS}
    for _ in range(rounds):
        for case in all_cases:
            for server in SERVERS:
                await first_call(server, upstream, case, idle_s=idle_s, into=samples[case.label, server])
    rows = []
    for case in all_cases:
        row: dict[str, Any] = {"label": case.label, "tool": case.tool, "target": case.target}
        for server in SERVERS:
            s = samples[case.label, server]
            row[server] = {
                "wall_rtt": round(statistics.median(s.wall_s) / rtt_s, 2),
                "upstream_depth": statistics.median(s.upstream_depth),
                "requests": statistics.median(s.requests),
                "errors": len(s.errors),
                "first_error": s.errors[0] if s.errors else None,
                "runs_wall_rtt": [round(x / rtt_s, 2) for x in s.wall_s],
            }
        row["pass"] = row["ours"]["wall_rtt"] <= case.target and not row["ours"]["errors"]
        rows.append(row)
    return {"rtt_ms": upstream.latency_ms, "idle_s": idle_s, "rounds": rounds, "rows": rows}
