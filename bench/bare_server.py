"""The SDK's floor: a bare MCPServer with one tool that does nothing.

Imported for in-memory calls; run as a script for cold start (stdio) and HTTP throughput:
    python bench/bare_server.py                # stdio
    python bench/bare_server.py --http 8123    # stateless Streamable HTTP on 127.0.0.1:8123
It imports nothing but the SDK (and uvicorn for HTTP), so it measures the SDK alone.
"""

from __future__ import annotations

import sys

from mcp.server import MCPServer


def build_bare_server() -> MCPServer:
    server = MCPServer("bare")

    @server.tool()
    def noop() -> str:
        """Do nothing."""
        return "ok"

    return server


def main(argv: list[str]) -> None:
    server = build_bare_server()
    if len(argv) >= 2 and argv[0] == "--http":
        import uvicorn

        app = server.streamable_http_app(stateless_http=True)
        uvicorn.run(app, host="127.0.0.1", port=int(argv[1]), log_level="warning", access_log=False)
    else:
        server.run()


if __name__ == "__main__":
    main(sys.argv[1:])
