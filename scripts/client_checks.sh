#!/usr/bin/env bash
# Independent MCP clients against hyperrep-mcp: the official conformance suite (protocol 2025-11-25
# and 2026-07-28, a server with sessions and a --stateless one) and the MCP Inspector CLI (stdio and
# HTTP). Prints a table per run; exit 0 when every scenario passes or fails only as listed in
# tests/e2e/clients/expected-failures.yml, 1 on a real failure, 2 when the clients cannot run.
#
# The first run installs the npm packages of tests/e2e/clients/package.json (npm ci, needs the npm
# registry, ~20 s); later runs use tests/e2e/clients/node_modules. Everything else stays on 127.0.0.1.
# Options: --only conformance|inspector, --results DIR (default tests/e2e/clients/results).
set -euo pipefail
cd "$(dirname "$0")/.."
exec uv run python tests/e2e/clients/client_checks.py "$@"
