"""Turning results into the printed tables and the target verdicts (pure functions of the results)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from .child import ROOT


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        import psutil

        memory_gb = round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:  # machine facts are decoration: never fail a run for them
        memory_gb = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "mcp": _version("mcp"),
        "hyperrep_mcp": _version("hyperrep-mcp"),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty_tree": bool(_git("status", "--porcelain", "--", "hyperrep_mcp")),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


# --- tables --------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    """A Markdown table, columns padded so it also reads as plain text."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = lambda vs: "| " + " | ".join(v.ljust(w) for v, w in zip(vs, widths, strict=True)) + " |"  # noqa: E731
    return [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *(line(r) for r in cells)]


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "PASS" if value else "FAIL"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def verdict(passed: bool | None, limit: str) -> str:
    return "—" if passed is None else f"{'PASS' if passed else 'FAIL'} ({limit})"


def firstcall_lines(r: dict[str, Any]) -> list[str]:
    rows = []
    for row in r["rows"]:
        ours, naive = row["ours"], row["naive"]
        rows.append(
            [
                row["label"],
                ours["wall_rtt"],
                naive["wall_rtt"],
                f"{ours['requests']:g} / {naive['requests']:g}",
                f"{ours['upstream_depth']:g} / {naive['upstream_depth']:g}",
                ours["errors"] + naive["errors"],
                verdict(row["pass"], f"<= {row['target']:g}"),
            ]
        )
    head = [
        "tool call",
        "ours wall/RTT",
        "naive wall/RTT",
        "requests ours / naive",
        "sequential round trips ours / naive",
        "errors",
        "target (ours)",
    ]
    return [
        f"First call after {r['idle_s']:g} s idle, {r['rtt_ms']:g} ms per upstream request — a fresh server "
        f"process over stdio per sample, median of {r['rounds']} interleaved rounds",
        *table(head, rows),
    ]


def token_lines(r: dict[str, Any]) -> list[str]:
    rows = []
    for row in r["rows"]:
        c = row["concise"] or {}
        limit = f"<= {row['target']:g}" if row["target"] else ""
        rows.append(
            [
                row["label"],
                c.get("text_chars"),
                c.get("id_chars"),
                c.get("shown_json_chars"),
                row["ratio_concise"],
                row["ratio_detailed"],
                c.get("fetched_json_chars"),
                row.get("ratio_concise_vs_fetched"),
                row.get("ratio_structured"),
                verdict(row["pass"], limit) if row["target"] else "—",
            ]
        )
    head = [
        "tool call",
        "text chars (concise)",
        "of which IDs",
        "raw JSON chars (shown)",
        "concise/raw",
        "detailed/raw",
        "JSON chars fetched",
        "concise/fetched",
        "structuredContent/raw",
        "target (concise/raw)",
    ]
    return [
        "Token efficiency — characters of our text / characters of the raw API JSON holding the same information",
        *table(head, rows),
    ]


def coldstart_lines(r: dict[str, Any]) -> list[str]:
    rows = [
        [row["label"], row["ours_ms"], row["bare_ms"], row["ratio"], verdict(row["pass"], "<= 1.3")]
        for row in r["rows"]
    ]
    head = ["command", "ms (median)", "bare MCPServer ms", "ratio", "target"]
    return [
        f"Cold start — spawn -> initialize answer over stdio, median of {r['runs']} interleaved runs",
        *table(head, rows),
    ]


def http_lines(r: dict[str, Any]) -> list[str]:
    rows = [
        [
            row["label"],
            row["calls_per_s"],
            row["p50_ms"],
            row["p99_ms"],
            row["errors"],
            row["vs_floor"],
            row["peak_rss_mb"],
            " / ".join(
                f"{row['cpu_ms_per_call'].get(k, 0):.2f}" for k in ("server", "sandbox", "load generator")
            ),
            verdict(row["pass"], ">= 0.7, 0 errors") if row["target"] else "—",
        ]
        for row in r["rows"]
    ]
    head = [
        "server: tool",
        "calls/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "vs floor",
        "peak RSS MB",
        "CPU ms/call server / sandbox / load gen",
        "target",
    ]
    return [
        f"HTTP throughput — stateless Streamable HTTP, {r['clients']} concurrent clients, "
        f"{r['seconds']:g} s per variant in {r['rounds']} interleaved windows",
        *table(head, rows),
    ]


def memory_lines(r: dict[str, Any]) -> list[str]:
    head = [
        "server",
        "RSS at connect MB",
        "after warm-up MB",
        f"after {r['calls']} calls MB",
        "growth MB",
        "errors",
        "target",
    ]
    row = [
        "hyperrep-mcp (stdio)",
        r["connect_rss_mb"],
        r["baseline_rss_mb"],
        r["final_rss_mb"],
        r["growth_mb"],
        r["errors"],
        verdict(r["pass"], "<= 10 MB, 0 errors"),
    ]
    samples = ", ".join(f"{n}: {mb}" for n, mb in r["samples_mb"])
    return [
        f"Memory — RSS over {r['calls']} tool calls after {r['warmup_calls']} warm-up calls",
        *table(head, [row]),
        f"samples (calls: MB): {samples}",
    ]


# --- targets -------------------------------------------------------------------------------------


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of the issue with its measured value and verdict."""
    out: list[dict[str, Any]] = []
    if "firstcall" in results:
        for row in results["firstcall"]["rows"]:
            out.append(
                _target(
                    f"first call after idle: {row['label']} (wall/RTT)",
                    row["ours"]["wall_rtt"],
                    f"<= {row['target']:g}",
                    row["pass"],
                )
            )
    if "tokens" in results:
        for row in results["tokens"]["rows"]:
            if row["target"] is not None:
                out.append(
                    _target(
                        f"text/raw JSON, concise: {row['label']}",
                        row["ratio_concise"],
                        f"<= {row['target']:g}",
                        row["pass"],
                    )
                )
    if "coldstart" in results:
        for row in results["coldstart"]["rows"]:
            out.append(
                _target(f"cold start vs bare MCPServer: {row['label']}", row["ratio"], "<= 1.3", row["pass"])
            )
    if "http" in results:
        for row in results["http"]["rows"]:
            if row["target"] is not None:
                value = f"{row['vs_floor']:g}x, {row['errors']} errors"
                out.append(
                    _target(
                        f"HTTP throughput vs floor: {row['label']}", value, ">= 0.7x, 0 errors", row["pass"]
                    )
                )
    if "index" in results:
        out += _index_targets(results["index"])
    if "memory" in results:
        m = results["memory"]
        out.append(
            _target(f"RSS growth over {m['calls']} calls", f"{m['growth_mb']:g} MB", "<= 10 MB", m["pass"])
        )
    return out


def index_lines(r: dict[str, Any]) -> list[str]:
    from .index import lines  # bench/index.py renders its own table (it also runs alone)

    return lines(r)


def _index_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    checks, first, refresh = r["checks"], r["first_sync"], r["refresh"]
    return [
        _target("index: first sync of 14 days (s)", first["seconds"], "<= 8", checks["first_sync_s"]),
        _target("index: refresh, nothing changed (requests)", refresh["requests"], "1",
                checks["refresh_requests"] and checks["refresh_rtt"]),
        _target("index: search over 90 days (ms)", r["search_worst_median_ms"], "<= 50", checks["search_ms"]),
        _target("index: memory for 90 days (MB)", r["memory"]["process_growth_mb"], "<= 150",
                checks["memory_mb"]),
    ]  # fmt: skip


def _target(name: str, value: Any, limit: str, passed: bool) -> dict[str, Any]:
    return {"target": name, "measured": value, "limit": limit, "pass": passed}


def target_lines(items: list[dict[str, Any]]) -> list[str]:
    passed = sum(t["pass"] for t in items)
    rows = [[t["target"], t["measured"], t["limit"], t["pass"]] for t in items]
    return [
        f"Targets — {passed} of {len(items)} pass",
        *table(["target", "measured", "limit", "verdict"], rows),
    ]


# One renderer per table of bench/__main__.py's PHASES, in the order printed.
SECTIONS = {
    "firstcall": firstcall_lines,
    "coldstart": coldstart_lines,
    "tokens": token_lines,
    "http": http_lines,
    "index": index_lines,
    "memory": memory_lines,
}


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"hyperrep-mcp bench — {m['date']} — {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, "
        f"{m['os']}, Python {m['python']}, mcp {m['mcp']}, hyperrep-mcp {m['hyperrep_mcp']} "
        f"(commit {m['commit']}{', uncommitted changes in hyperrep_mcp/' if m['dirty_tree'] else ''})",
        "",
    ]
    for name, fmt in SECTIONS.items():
        if name in results:
            lines += [*fmt(results[name]), ""]
    lines += target_lines(results["targets"])
    lines.append(f"\n(total {results['seconds']:.0f} s)")
    return "\n".join(lines)
