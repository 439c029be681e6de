"""Cold start: process spawn -> the answer to `initialize` over stdio.

Three commands, interleaved round by round so machine noise hits all alike (one untimed warm-up
round first: page cache, .pyc files):
- bare: `python bench/bare_server.py` (MCPServer + one tool: the SDK's own floor),
- ours: `python -m hyperrep_mcp` with HYPERREP_API_KEY / HYPERREP_BASE_URL (a sandbox URL: what a
  real deployment runs; nothing is requested upstream before the first tool call),
- ours --demo: `python -m hyperrep_mcp --demo` (also builds the in-process sandbox).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .child import ROOT
from .upstream import API_KEY

HERE = Path(__file__).resolve().parent
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "bench", "version": "0"},
    },
}


def spawn_to_initialize(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from Popen to the initialize answer on stdout (the process is then closed)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(json.dumps(INIT) + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    proc.stdin.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    answer = json.loads(line)
    if answer.get("result", {}).get("protocolVersion") != INIT["params"]["protocolVersion"]:
        raise RuntimeError(f"unexpected initialize answer from {cmd}: {line[:300]}")
    return elapsed


def commands(sandbox_url: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    # Without PYTHONDONTWRITEBYTECODE: round 0 writes the .pyc files, as the first start of an
    # installed server does; inherited, every run would compile whatever lacked a current .pyc.
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HYPERREP_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    base["PYTHONPATH"] = str(ROOT)
    ours_env = {**base, "HYPERREP_API_KEY": API_KEY, "HYPERREP_BASE_URL": sandbox_url}
    return {
        "bare": ([sys.executable, str(HERE / "bare_server.py")], base),
        "ours": ([sys.executable, "-m", "hyperrep_mcp"], ours_env),
        "ours_demo": ([sys.executable, "-m", "hyperrep_mcp", "--demo"], base),
    }


def run(sandbox_url: str, *, runs: int) -> dict[str, Any]:
    cmds = commands(sandbox_url)
    samples: dict[str, list[float]] = {name: [] for name in cmds}
    for r in range(runs + 1):
        for name, (cmd, env) in cmds.items():
            elapsed = spawn_to_initialize(cmd, env)
            if r:  # round 0 warms the page cache
                samples[name].append(elapsed)
    med = {name: statistics.median(xs) for name, xs in samples.items()}
    rows = []
    for name in ("ours", "ours_demo"):
        ratio = med[name] / med["bare"]
        rows.append(
            {
                "label": {"ours": "hyperrep-mcp (sandbox URL)", "ours_demo": "hyperrep-mcp --demo"}[name],
                "ours_ms": round(med[name] * 1000, 1),
                "bare_ms": round(med["bare"] * 1000, 1),
                "ratio": round(ratio, 2),
                "runs_ms": [round(x * 1000) for x in samples[name]],
                "target": 1.3,
                "pass": ratio <= 1.3,
            }
        )
    return {"runs": runs, "bare_runs_ms": [round(x * 1000) for x in samples["bare"]], "rows": rows}
