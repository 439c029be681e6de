"""Benchmark of hyperrep-mcp: round-trip depth, token efficiency, per-call overhead, cold start,
HTTP throughput and memory, each measured side by side with its reference in one run.

Run: ``uv run python -m bench`` (``--help`` for the knobs). Writes ``bench/results.json``.
Everything stays on 127.0.0.1: the upstream is the package's own sandbox served by uvicorn.
"""
