"""Memory: RSS growth of our server process over many tool calls.

The real command (`python -m hyperrep_mcp`, stdio, organization pinned) on the zero-latency sandbox,
driven by an `mcp.Client` over stdio with a rotating mix of read tools over many different
contacts and conversations. A warm-up pass touches every id once first, so the caches (contacts,
companies, organizations: bounded by size and age) are as full as the mix makes them; the growth
after that is what a long session would keep accumulating. RSS is sampled along the way.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import psutil
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from hyperrep_mcp.api import HyperRepClient

from .child import ROOT
from .servers import text_of
from .upstream import API_KEY, BenchData

ROTATION = 40  # distinct contacts and conversations the mix cycles through


async def _ids(sandbox_url: str, data: BenchData, rotation: int) -> tuple[list[str], list[str]]:
    async with HyperRepClient(API_KEY, base_url=sandbox_url) as api:
        contacts = (await api.list_contacts(data.org_id, limit=rotation)).data
        convs = (await api.list_conversations(data.org_id, limit=rotation)).data
    return [c.contact_id for c in contacts], [c.conversation_id for c in convs]


def _mix(i: int, contacts: list[str], convs: list[str]) -> tuple[str, dict[str, Any]]:
    k = i // 8
    step = i % 8
    if step in (0, 4):
        return "get_contact", {"contact_id": contacts[k % len(contacts)]}
    if step in (1, 5):
        return "get_conversation_thread", {"conversation_id": convs[k % len(convs)]}
    if step == 2:
        return "list_conversations", {"limit": 25}
    if step == 3:
        return "get_response_rate", {"compare_to_previous": True}
    if step == 6:
        return "list_contacts", {"limit": 25, "response_format": "detailed"}
    return "list_organizations", {}


def _server_process() -> psutil.Process:
    for child in psutil.Process().children(recursive=True):
        try:
            if "hyperrep_mcp" in " ".join(child.cmdline()):
                return child
        except psutil.Error:
            continue
    raise RuntimeError("the stdio server process was not found")


async def run(sandbox_url: str, data: BenchData, *, calls: int, rotation: int = ROTATION) -> dict[str, Any]:
    contacts, convs = await _ids(sandbox_url, data, rotation)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERREP_")}
    env.update(
        {
            "HYPERREP_API_KEY": API_KEY,
            "HYPERREP_BASE_URL": sandbox_url,
            "HYPERREP_ORGANIZATION_ID": data.org_id,
            "PYTHONPATH": str(ROOT),
        }
    )
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "hyperrep_mcp"], env=env, cwd=str(ROOT)
    )
    failures: list[str] = []

    async def call(client: Client, i: int) -> None:
        name, args = _mix(i, contacts, convs)
        result = await client.call_tool(name, args)
        if result.is_error:
            failures.append(f"{name}: {text_of(result)[:200]}")

    # The server's one log line per call goes to /dev/null, not to the console.
    with open(os.devnull, "w") as devnull:  # noqa: ASYNC230 - /dev/null never blocks
        async with Client(stdio_client(params, errlog=devnull)) as client:
            proc = _server_process()
            connected = proc.memory_info().rss
            # Warm-up: every id of the rotation once, every tool of the mix at least once.
            for i in range(8 * rotation):
                await call(client, i)
            baseline = proc.memory_info().rss
            samples = [(0, baseline)]
            every = max(1, calls // 8)
            for i in range(calls):
                await call(client, i)
                if (i + 1) % every == 0:
                    samples.append((i + 1, proc.memory_info().rss))
            final = proc.memory_info().rss
    growth = (final - baseline) / 2**20
    return {
        "calls": calls,
        "warmup_calls": 8 * rotation,
        "connect_rss_mb": round(connected / 2**20, 1),
        "baseline_rss_mb": round(baseline / 2**20, 1),
        "final_rss_mb": round(final / 2**20, 1),
        "growth_mb": round(growth, 2),
        "samples_mb": [(n, round(rss / 2**20, 1)) for n, rss in samples],
        "errors": len(failures),
        "first_error": failures[0] if failures else None,
        "target": 10.0,
        "pass": growth <= 10.0 and not failures,
    }
