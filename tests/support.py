"""Test support: a real sandbox over HTTP on 127.0.0.1, and our server with an MCP client on it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import trustme
import uvicorn
from hypercorn.asyncio import serve
from hypercorn.config import Config
from mcp import Client

from hyperrep_mcp.config import Settings, load_settings
from hyperrep_mcp.sandbox import Sandbox, SandboxConfig, create_app
from hyperrep_mcp.server.app import build_server

SANDBOX_KEY = "sandbox-key"
# How long a test's own HTTP client waits for an answer: the MCP SDK's default, not httpx's 5 s, which a
# first tool call can outlast on a loaded machine (parallel test workers, other jobs).
HTTP_TIMEOUT_S = 30.0


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
    Client options `mode` and `elicitation_callback`, and the server's `clock` (for a sandbox pinned in
    time: the same instant)."""
    client_opts = {k: kw.pop(k) for k in ("mode", "elicitation_callback") if k in kw}
    server_opts = {k: kw.pop(k) for k in ("clock",) if k in kw}
    server = build_server(
        settings_for(sb, **kw), default_organization_id=sb.org if default_org else None, **server_opts
    )
    started = time.monotonic()
    async with Client(server, **client_opts) as client:
        await warm_up_done(sb, since=started)
        yield client


async def warm_up_done(sb: RunningSandbox, *, since: float, timeout_s: float = 5.0) -> None:
    """Wait for the server's background warm-up to make its one upstream request (the organization
    list), so that a test counting upstream requests counts only its own."""
    with anyio.move_on_after(timeout_s):
        while not any(r.path == "/api/v2/organizations" and r.at >= since for r in sb.sandbox.requests):  # noqa: ASYNC110
            await anyio.sleep(0.01)


def dianas_text_conversation(sb: RunningSandbox) -> tuple[Any, Any, Any]:
    """The demo's Diana Prince (she has an email and a phone) and her one text conversation without a
    pending reply draft: (the organization's data, Diana, the conversation)."""
    org = sb.sandbox.data.org(sb.org)
    diana = org.contacts[sb.sandbox.data.fixtures.diana_contact_id]
    [conv] = [
        c
        for c in org.conversations.values()
        if c.contact_id == diana.contact_id and c.modality == "text"
        and org.response_draft_for(c.conversation_id) is None
    ]  # fmt: skip
    return org, diana, conv


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


# --- HTTPS and HTTP/2 upstreams (hypercorn: uvicorn speaks HTTP/1.1 only) ---------------------------


def tls_files(folder: Path) -> tuple[Path, Path, ssl.SSLContext]:
    """A certificate for 127.0.0.1 from a throw-away CA: its files, and a context that trusts it."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(certfile)
    cert.private_key_pem.write_to_path(keyfile)
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    return certfile, keyfile, trusting


@dataclass
class Seen:
    """What the server side saw: (HTTP version, client address) per request."""

    requests: list[tuple[str, tuple[str, int]]] = field(default_factory=list)

    def connections(self) -> int:
        return len({client for _, client in self.requests})

    def versions(self) -> set[str]:
        return {version for version, _ in self.requests}


class HypercornThread:
    """The sandbox behind hypercorn over TLS, offering `alpn`, in a thread with its own loop."""

    def __init__(
        self, certfile: Path, keyfile: Path, alpn: list[str], latency_ms: float, api_key: str = SANDBOX_KEY
    ) -> None:
        self.app = create_app(SandboxConfig(api_key=api_key, latency_ms=latency_ms))
        self.seen = Seen()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)  # connections wait in the backlog until hypercorn accepts them
        self.url = f"https://127.0.0.1:{self.sock.getsockname()[1]}"
        self.config = Config()
        self.config.bind = [f"fd://{self.sock.fileno()}"]
        self.config.certfile, self.config.keyfile = str(certfile), str(keyfile)
        self.config.alpn_protocols = alpn
        self.config.loglevel = "WARNING"
        self.config.graceful_timeout = 0.5
        self.started = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop: asyncio.Event | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _recording(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen.requests.append((scope["http_version"], tuple(scope["client"])))
        await self.app(scope, receive, send)

    async def _serve(self) -> None:
        self.loop, self.stop = asyncio.get_running_loop(), asyncio.Event()
        self.loop.call_soon(self.started.set)
        await serve(self._recording, self.config, shutdown_trigger=self.stop.wait)  # type: ignore[arg-type]

    def __enter__(self) -> HypercornThread:
        self.thread.start()
        assert self.started.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.loop is not None and self.stop is not None
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(10)
        assert not self.thread.is_alive(), "hypercorn did not stop"
        with contextlib.suppress(OSError):  # hypercorn may have closed it already
            self.sock.close()
