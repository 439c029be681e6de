"""Benchmark of hyperrep-mcp as a person feels it: the first call after idle, cold start, token
efficiency, HTTP throughput and memory, each measured side by side with its reference in one run.

Run: ``uv run python -m bench`` (``--help`` for the knobs); the tables go into ``bench/RESULTS.md``.
Everything stays on 127.0.0.1: the upstream is the package's own sandbox served by uvicorn.
"""
