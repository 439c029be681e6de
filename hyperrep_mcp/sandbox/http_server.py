"""Run the sandbox as a real HTTP server (``hyperrep-mcp sandbox``)."""

from __future__ import annotations

import socket
import sys

import uvicorn

from hyperrep_mcp.sandbox import SandboxConfig
from hyperrep_mcp.sandbox.app import create_app


class SandboxServer(uvicorn.Server):
    """uvicorn server that announces itself on stderr once it is listening."""

    def __init__(self, config: uvicorn.Config, api_key: str) -> None:
        super().__init__(config)
        self.api_key = api_key

    def bound_port(self) -> int:
        for server in self.servers:
            for sock in server.sockets:
                return sock.getsockname()[1]
        return self.config.port

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            url = f"http://{self.config.host}:{self.bound_port()}"
            print(f"HyperRep sandbox on {url} (API key: {self.api_key})", file=sys.stderr, flush=True)


def build_server(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8765) -> SandboxServer:
    """A ready-to-run server (call ``.run()``, or ``.run(sockets=[...])`` with a bound socket)."""
    app = create_app(config)
    uv_config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    return SandboxServer(uv_config, config.api_key)


def serve(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve until interrupted. Prints one line on stderr once listening."""
    build_server(config, host, port).run()
