"""`uv run python -m bench`: measure what a person feels, print the tables (Markdown).

Tables (each a module with a `run` returning rows, a renderer in `report.SECTIONS`, its targets in
`report.targets`); adding one is an entry in `PHASES` below and one in `report.SECTIONS`:
- firstcall: the first tool call of a fresh server process after 1.5 s idle, at RTT per request,
  beside a naive baseline (bench/naive_server.py),
- coldstart: spawn -> the answer to `initialize`, beside a bare MCPServer,
- tokens: what the model reads against the raw API JSON,
- http: throughput of the Streamable HTTP transport beside a bare MCPServer,
- index: the inbox index's first sync, refresh, search and memory at RTT per request (bench/index.py),
- memory: RSS growth over many calls.

Defaults finish in a few minutes on a 2-core machine; every count is a flag. Only 127.0.0.1.
`--out FILE` also writes the raw results as JSON (bench/results.json is ignored by git: the
latest run's tables go into bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

from . import coldstart, firstcall, http_load, index, memory, report, tokens
from .servers import quiet_logging
from .upstream import BenchData, SandboxProcess

Phase = Callable[[argparse.Namespace, SandboxProcess, BenchData], Awaitable[Any]]


async def _firstcall(args: argparse.Namespace, fast: SandboxProcess, data: BenchData) -> Any:
    with SandboxProcess(
        latency_ms=args.rtt_ms, contacts=args.contacts, thread_messages=args.thread_messages
    ) as slow:
        return await firstcall.run(slow, rounds=args.rounds, idle_s=args.idle_s)


async def _coldstart(args: argparse.Namespace, fast: SandboxProcess, data: BenchData) -> Any:
    return await anyio.to_thread.run_sync(lambda: coldstart.run(fast.url, runs=args.cold_runs))


async def _tokens(args: argparse.Namespace, fast: SandboxProcess, data: BenchData) -> Any:
    return await tokens.run(fast, data, sample_threads=args.sample_threads)


async def _http(args: argparse.Namespace, fast: SandboxProcess, data: BenchData) -> Any:
    return await http_load.run(
        fast.url,
        fast.pid,
        data,
        clients=args.http_clients,
        seconds=args.http_seconds,
        rounds=args.http_rounds,
    )


async def _index(args: argparse.Namespace, fast: SandboxProcess, data: BenchData) -> Any:
    return await index.run(latency_ms=args.rtt_ms)


async def _memory(args: argparse.Namespace, fast: SandboxProcess, data: BenchData) -> Any:
    return await memory.run(fast.url, data, calls=args.memory_calls)


# Name -> how to measure it, on the zero-latency sandbox `fast` (a phase may start its own).
PHASES: dict[str, Phase] = {
    "firstcall": _firstcall,
    "coldstart": _coldstart,
    "tokens": _tokens,
    "http": _http,
    "index": _index,
    "memory": _memory,
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--rtt-ms", type=float, default=100.0, help="first call: latency per upstream request (100)"
    )
    p.add_argument("--idle-s", type=float, default=1.5, help="first call: idle before the call (1.5)")
    p.add_argument(
        "--rounds", type=int, default=5, help="first call: fresh processes per tool and server (5)"
    )
    p.add_argument("--cold-runs", type=int, default=10, help="cold start: spawns per command (10)")
    p.add_argument("--sample-threads", type=int, default=20, help="tokens: ordinary threads sampled (20)")
    p.add_argument("--http-clients", type=int, default=8, help="HTTP: concurrent clients N (8)")
    p.add_argument("--http-seconds", type=float, default=9.0, help="HTTP: measured seconds per variant (9)")
    p.add_argument("--http-rounds", type=int, default=6, help="HTTP: interleaved windows per variant (6)")
    p.add_argument("--memory-calls", type=int, default=2000, help="memory: tool calls measured (2000)")
    p.add_argument("--contacts", type=int, default=500, help="contacts in the organization (500)")
    p.add_argument("--thread-messages", type=int, default=50, help="messages in the long thread (50)")
    p.add_argument("--only", default=",".join(PHASES), help=f"comma-separated subset of {','.join(PHASES)}")
    p.add_argument("--out", type=Path, default=None, help="also write the raw results as JSON here")
    args = p.parse_args(argv)
    args.phases = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = sorted(set(args.phases) - set(PHASES))
    if unknown:
        p.error(f"unknown phases: {', '.join(unknown)}")
    return args


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": report.machine(), "config": _config(args)}
    with SandboxProcess(contacts=args.contacts, thread_messages=args.thread_messages) as fast:
        assert fast.data is not None
        for name in args.phases:
            progress(f"{name} ...")
            results[name] = await PHASES[name](args, fast, fast.data)
    results["targets"] = report.targets(results)
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


def _config(args: argparse.Namespace) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in ("only",)}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    quiet_logging()
    results = anyio.run(run, args)
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(report.render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
