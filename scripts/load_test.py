"""Bounded load test on 127.0.0.1: N concurrent MCP clients over stateless Streamable HTTP.

Starts the sandbox (with latency) and `hyperrep-mcp serve --transport http --stateless` as real
processes, drives a mix of tool calls from concurrent `mcp.Client` sessions, samples the server's
RSS, and fails (exit 1) on any error or on memory that keeps growing.

    uv run python scripts/load_test.py                 # 16 clients, 3,000 calls, 20 ms upstream latency
    uv run python scripts/load_test.py --clients 4 --calls 100
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import psutil
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from hyperrep_mcp.sandbox import Sandbox, SandboxConfig

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def process(args: list[str], env: dict[str, str], health: str):
    proc = subprocess.Popen(
        args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"{args[:3]} exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                httpx2.get(health, timeout=1.0)
                break
            except httpx2.TransportError:
                time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def workload(fx: Any) -> list[tuple[str, dict[str, Any]]]:
    """A realistic mix: mostly cheap reads, some threads, a few overviews."""
    return [
        ("list_contacts", {"limit": 10}),
        ("list_conversations", {"limit": 25}),
        ("get_contact", {"contact_id": fx.diana_contact_id}),
        ("get_conversation_thread", {"conversation_id": fx.diana_email_conversation_id}),
        ("get_response_rate", {"compare_to_previous": True}),
        ("list_message_drafts", {"limit": 10}),
        ("list_contacts", {"query": "diana"}),
        ("list_conversations", {"limit": 10, "unread_only": True}),
        ("get_contact", {"contact_id": fx.hal_contact_id}),
        ("inbox_overview", {"limit": 5}),
    ]


async def run_clients(
    url: str, clients: int, calls: int, mix: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    per_client = max(1, calls // clients)

    async def one(index: int) -> None:
        async with (
            httpx2.AsyncClient(timeout=60) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            for i in range(per_client):
                name, args = mix[(index + i) % len(mix)]
                started = time.perf_counter()
                try:
                    result = await client.call_tool(name, args)
                    if result.is_error:
                        errors.append(f"{name}: {result.content[0].text[:200]}")
                except Exception as exc:
                    errors.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for index in range(clients):
            tg.start_soon(one, index)
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "calls": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "wall_s": round(wall, 2),
        "calls_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--max-growth-mb", type=float, default=40.0, help="RSS growth allowed after warm-up")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)

    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERREP_")}
    sandbox_port, server_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    fx = Sandbox(SandboxConfig()).data.fixtures  # same seed as the sandbox process: same IDs
    cli = [sys.executable, "-m", "hyperrep_mcp"]
    sandbox_cmd = [*cli, "sandbox", "--port", str(sandbox_port), "--latency-ms", str(args.latency_ms)]
    server_env = {
        **env,
        "HYPERREP_API_KEY": "sandbox-key",
        "HYPERREP_BASE_URL": sandbox_url,
        "HYPERREP_ORGANIZATION_ID": fx.big_org_id,
        "HYPERREP_LOG_LEVEL": "WARNING",
    }
    server_cmd = [*cli, "serve", "--transport", "http", "--stateless", "--port", str(server_port)]
    server_url = f"http://127.0.0.1:{server_port}"
    with (
        process(sandbox_cmd, env, f"{sandbox_url}/api/v2/organizations"),
        process(server_cmd, server_env, f"{server_url}/healthz") as server,
    ):
        ps = psutil.Process(server.pid)
        samples: list[float] = []
        mix = workload(fx)

        async def sampled() -> dict[str, Any]:
            async with anyio.create_task_group() as tg:

                async def sample() -> None:
                    while True:
                        samples.append(ps.memory_info().rss / 1e6)
                        await anyio.sleep(0.25)

                tg.start_soon(sample)
                warm = await run_clients(
                    f"{server_url}/mcp", args.clients, max(args.clients, args.calls // 10), mix
                )
                mark = len(samples)
                result = await run_clients(f"{server_url}/mcp", args.clients, args.calls, mix)
                result["warmup_errors"] = warm["errors"]
                result["rss_after_warmup_mb"] = round(samples[mark - 1] if mark else samples[0], 1)
                tg.cancel_scope.cancel()
                return result

        result = anyio.run(sampled)
        samples.append(ps.memory_info().rss / 1e6)
    result.update(
        clients=args.clients,
        upstream_latency_ms=args.latency_ms,
        peak_rss_mb=round(max(samples), 1),
        final_rss_mb=round(samples[-1], 1),
    )
    result["rss_growth_mb"] = round(result["final_rss_mb"] - result["rss_after_warmup_mb"], 1)
    ok = (
        result["errors"] == 0
        and result["warmup_errors"] == 0
        and result["rss_growth_mb"] <= args.max_growth_mb
    )
    print(f"{'figure':<24} value")
    for key in (
        "clients",
        "calls",
        "errors",
        "wall_s",
        "calls_per_s",
        "p50_ms",
        "p99_ms",
        "peak_rss_mb",
        "rss_growth_mb",
    ):
        print(f"{key:<24} {result[key]}")
    for sample in result["error_samples"]:
        print(f"error: {sample}")
    print("PASS" if ok else "FAIL")
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
