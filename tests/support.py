"""Test support: a real sandbox over HTTP on 127.0.0.1, and our server with an MCP client on it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from mcp import Client

from hyperrep_mcp.config import Settings, load_settings
from hyperrep_mcp.sandbox import Sandbox
from hyperrep_mcp.server.app import build_server

SANDBOX_KEY = "sandbox-key"


class UvicornThread:
    """Serve an ASGI app on a free 127.0.0.1 port in a background thread."""

    def __init__(self, app: Any, **config: Any) -> None:
        """`config`: more uvicorn.Config options (ssl_certfile and ssl_keyfile serve HTTPS)."""
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
        # without it every reused connection stalls ~40 ms on delayed ACKs.
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        scheme = "https" if config.get("ssl_certfile") else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        config = {"log_level": "warning", "lifespan": "auto", "timeout_graceful_shutdown": 1, **config}
        config = uvicorn.Config(app, **config)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> UvicornThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.005)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


class SwitchableApp:
    """An ASGI app that forwards to whichever app a test installs: one long-lived server per slot,
    a fresh sandbox per test, without paying a server start and stop for every test."""

    def __init__(self) -> None:
        self.target: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # the slot's own lifespan: nothing to set up
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if self.target is None:
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b"no sandbox installed"})
            return
        await self.target(scope, receive, send)


@dataclass
class RunningSandbox:
    url: str
    sandbox: Sandbox

    @property
    def org(self) -> str:
        return self.sandbox.data.fixtures.big_org_id


def settings_for(sb: RunningSandbox, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"api_key": SANDBOX_KEY, "base_url": sb.url, "max_retries": 2}
    values.update(overrides)
    return load_settings(**values)


@asynccontextmanager
async def connect(sb: RunningSandbox, *, default_org: bool = True, **kw: Any) -> AsyncIterator[Client]:
    """Our server on `sb` through an in-memory MCP client session. `kw`: settings overrides, plus the
    Client options `mode` and `elicitation_callback`."""
    client_opts = {k: kw.pop(k) for k in ("mode", "elicitation_callback") if k in kw}
    server = build_server(settings_for(sb, **kw), default_organization_id=sb.org if default_org else None)
    async with Client(server, **client_opts) as client:
        yield client


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)
