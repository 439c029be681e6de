"""`uv run python -m bench`: run every measurement, print the tables, write bench/results.json.

Defaults finish in about 2-3 minutes on a 2-core machine; every count is a flag. Only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import anyio

from . import coldstart, depth, http_load, memory, overhead, report, tls, tokens
from .servers import quiet_logging
from .upstream import SandboxProcess

PHASES = ("depth", "tls", "tokens", "overhead", "http", "memory", "coldstart")
DEFAULT_OUT = Path(__file__).resolve().parent / "results.json"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--latency-ms", type=float, default=50.0, help="upstream latency L per request for depth (50)"
    )
    p.add_argument("--rounds", type=int, default=5, help="depth: timed rounds per tool call (5)")
    p.add_argument("--tls-rounds", type=int, default=3, help="HTTPS fan-outs: timed rounds per pairing (3)")
    p.add_argument("--sample-threads", type=int, default=20, help="tokens: ordinary threads sampled (20)")
    p.add_argument("--overhead-calls", type=int, default=200, help="overhead: timed calls per variant (200)")
    p.add_argument("--http-clients", type=int, default=8, help="HTTP: concurrent clients N (8)")
    p.add_argument("--http-seconds", type=float, default=9.0, help="HTTP: measured seconds per variant (9)")
    p.add_argument("--http-rounds", type=int, default=6, help="HTTP: interleaved windows per variant (6)")
    p.add_argument("--memory-calls", type=int, default=2000, help="memory: tool calls measured (2000)")
    p.add_argument("--cold-runs", type=int, default=10, help="cold start: spawns per command (10)")
    p.add_argument("--contacts", type=int, default=500, help="contacts in the organization (500)")
    p.add_argument("--thread-messages", type=int, default=50, help="messages in the long thread (50)")
    p.add_argument("--only", default=",".join(PHASES), help=f"comma-separated subset of {','.join(PHASES)}")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON results")
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
    sizes = {"contacts": args.contacts, "thread_messages": args.thread_messages}
    with SandboxProcess(**sizes) as fast:
        assert fast.data is not None
        data = fast.data
        if "depth" in args.phases:
            progress(f"round-trip depth at L = {args.latency_ms:g} ms ...")
            with SandboxProcess(latency_ms=args.latency_ms, **sizes) as slow:
                assert slow.data is not None
                results["depth"] = await depth.run(
                    slow, slow.data, latency_ms=args.latency_ms, rounds=args.rounds
                )
        if "tls" in args.phases:
            progress(f"cold fan-out over HTTPS at L = {args.latency_ms:g} ms, HTTP/2 and HTTP/1.1 ...")
            results["tls"] = await tls.run(latency_ms=args.latency_ms, rounds=args.tls_rounds)
            progress(f"HTTPS over a simulated network, RTT = {args.latency_ms:g} ms ...")
            results["network"] = await tls.run_network(rtt_ms=args.latency_ms, rounds=args.tls_rounds)
        if "tokens" in args.phases:
            progress("token efficiency ...")
            results["tokens"] = await tokens.run(fast, data, sample_threads=args.sample_threads)
        if "overhead" in args.phases:
            progress("per-call overhead ...")
            results["overhead"] = await overhead.run(fast, data, calls=args.overhead_calls)
        if "http" in args.phases:
            progress(f"HTTP throughput, {args.http_clients} clients ...")
            results["http"] = await http_load.run(
                fast.url,
                fast.pid,
                data,
                clients=args.http_clients,
                seconds=args.http_seconds,
                rounds=args.http_rounds,
            )
        if "memory" in args.phases:
            progress(f"memory over {args.memory_calls} calls ...")
            results["memory"] = await memory.run(fast.url, data, calls=args.memory_calls)
        if "coldstart" in args.phases:
            progress(f"cold start, {args.cold_runs} runs per command ...")
            results["coldstart"] = await anyio.to_thread.run_sync(
                lambda: coldstart.run(fast.url, runs=args.cold_runs)
            )
    results["targets"] = report.targets(results)
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


def _config(args: argparse.Namespace) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in ("only",)}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    quiet_logging()
    results = anyio.run(run, args)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(report.render(results))
    print(f"(results written to {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
