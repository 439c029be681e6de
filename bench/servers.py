"""The servers under test, built in-process: ours on a sandbox URL, and the bare MCPServer floor.

Also a recording httpx2 transport (every upstream response body a call received) and the logging
set-up of the real CLI, so a benchmarked call pays for its one log line like in production.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Any

import httpx2
from mcp.server import MCPServer

from bench.bare_server import build_bare_server
from hyperrep_mcp.config import load_settings
from hyperrep_mcp.server.app import build_server

from .upstream import API_KEY

__all__ = ["RecordingTransport", "build_bare_server", "build_ours", "quiet_logging", "text_of"]

THIRD_PARTY_LOGGERS = ("httpx2", "httpcore2", "httpcore", "mcp", "uvicorn", "uvicorn.access", "stamina")


def quiet_logging() -> None:
    """What `hyperrep-mcp` does at the default INFO level (one line per tool call, third parties
    at WARNING), written to /dev/null: the bench pays for the log line but does not print it."""
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in THIRD_PARTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def build_ours(
    base_url: str, org_id: str, *, transport: httpx2.AsyncBaseTransport | None = None
) -> MCPServer:
    """Our server as the tests build it: a sandbox URL, the big organization as default."""
    settings = load_settings(api_key=API_KEY, base_url=base_url)
    return build_server(settings, transport=transport, default_organization_id=org_id)


@dataclass
class Exchange:
    method: str
    path: str
    query: str
    body: str


class RecordingTransport(httpx2.AsyncBaseTransport):
    """Real HTTP (a pooled httpx2 transport) that keeps every response body it passed on."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport(limits=httpx2.Limits(max_connections=20))
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        self.exchanges.append(
            Exchange(request.method, request.url.path, request.url.query.decode(), body.decode("utf-8"))
        )
        return httpx2.Response(response.status_code, headers=response.headers, content=body, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def compact(value: Any) -> str:
    """JSON the way the sandbox (Starlette's JSONResponse) writes it: no spaces, UTF-8 as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
