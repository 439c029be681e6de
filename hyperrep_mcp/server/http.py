"""Streamable HTTP transport: `/mcp`, `GET /healthz`, bearer token, Host/Origin checks, limits.

The SDK enables DNS-rebinding protection only for loopback binds; we always pass an explicit
allowlist, so a server bound to 0.0.0.0 still refuses foreign Host and Origin headers. The bearer
token (HYPERREP_MCP_TOKEN) is compared in constant time. Nothing here keeps per-user state, so
any number of workers or replicas can serve the same clients (with one HYPERREP_MCP_STATE_KEY).
"""

from __future__ import annotations

import contextlib
import hmac
import signal
import socket
from types import FrameType
from typing import Any

import anyio
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hyperrep_mcp import __version__
from hyperrep_mcp.config import Settings, is_loopback
from hyperrep_mcp.server.ratelimit import ToolCallRateLimit

DEFAULT_RATE_LIMIT = 600  # tool calls per minute per client address on a public bind
MAX_BODY_BYTES = 1024 * 1024  # a tool call's JSON is small; a larger body is refused (413)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
GRACEFUL_SHUTDOWN_S = 25
MCP_PATH = "/mcp"


def transport_security(bind_host: str, extra_hosts: tuple[str, ...] = ()) -> TransportSecuritySettings:
    """Host/Origin allowlists for any bind address: loopback names, plus the bind host and `extra_hosts`."""
    names = list(LOOPBACK_HOSTS)
    if not is_loopback(bind_host) and bind_host not in ("0.0.0.0", "::"):  # noqa: S104 - a name to allow, not a bind
        names.append(f"[{bind_host}]" if ":" in bind_host else bind_host)
    names += [h for h in extra_hosts if h]
    hosts = [h for name in names for h in (name, f"{name}:*")]
    origins = [
        o
        for name in names
        for scheme in ("http", "https")
        for o in (f"{scheme}://{name}", f"{scheme}://{name}:*")
    ]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


class BearerAuth:
    """Require `Authorization: Bearer <token>` on everything but the health check."""

    def __init__(self, app: ASGIApp, token: str, *, open_paths: tuple[str, ...] = ("/healthz",)) -> None:
        self.app = app
        self.token = token.encode()
        self.open_paths = open_paths

    def authorized(self, header: bytes) -> bool:
        # The scheme is case-insensitive (RFC 9110); the token is compared in constant time.
        scheme, _, credentials = header.strip().partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(), self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] not in self.open_paths
            and not self.authorized(dict(scope["headers"]).get(b"authorization", b""))
        ):
            response = JSONResponse(
                {"error": "unauthorized", "detail": "Send Authorization: Bearer <HYPERREP_MCP_TOKEN>."},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="hyperrep-mcp"'},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class GracefulDrain:
    """Orders a graceful shutdown: requests in flight (tool calls) finish first, then the standing
    SSE streams (GET /mcp of 2025-era clients) are closed so the server can exit promptly.

    The SDK streams responses with sse-starlette, which by default ends *every* SSE response the
    moment uvicorn gets SIGTERM, including the response of a tool call still running: a 2025-era
    client then loses the result ("SSE stream ended without a response"). `run_uvicorn` turns that
    off (`take_over_stream_draining`) and this wrapper closes only the standing streams, once no
    request is in flight any more.
    """

    def __init__(self, app: ASGIApp, *, mcp_path: str = MCP_PATH) -> None:
        self.app = app
        self.mcp_path = mcp_path
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == self.mcp_path:
            await self._standing_stream(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _standing_stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = complete = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, complete
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                complete = True
            await send(message)

        async with anyio.create_task_group() as tg:
            tg.start_soon(self._cancel_when_drained, tg.cancel_scope)
            await self.app(scope, receive, tracking_send)
            tg.cancel_scope.cancel()  # the stream ended by itself (client gone)
        if started and not complete:
            # End the chunked body properly: the client sees a clean end of stream, and uvicorn
            # does not log "ASGI callable returned without completing response".
            with contextlib.suppress(Exception):  # the client may be gone already
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _cancel_when_drained(self, stream: anyio.CancelScope) -> None:
        status = _sse_app_status()
        if status is None or status.enable_automatic_graceful_drain:
            return  # not serving through `run_uvicorn`: sse-starlette ends streams itself
        while True:
            server = _running_uvicorn_server()
            if server is not None and server.should_exit and self.in_flight == 0:
                stream.cancel()
                return
            await anyio.sleep(0.1)


def take_over_stream_draining() -> None:
    """Stop sse-starlette from cutting in-flight responses on SIGTERM; `GracefulDrain` closes the
    standing streams instead, once the last request is done. Only for a process that serves."""
    status = _sse_app_status()
    if status is not None:
        status.disable_automatic_graceful_drain()


def _sse_app_status() -> Any:
    try:
        from sse_starlette.sse import AppStatus  # the SDK's SSE implementation
    except ImportError:  # pragma: no cover - a future SDK without sse-starlette
        return None
    return AppStatus


def _running_uvicorn_server() -> Any:
    """The uvicorn server of this process, found through its SIGTERM handler (a bound method) —
    the same way sse-starlette finds it; works in single-process and worker mode alike."""
    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    return server if hasattr(server, "should_exit") else None


def build_http_app(
    server: MCPServer,
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    stateless: bool = False,
    extra_hosts: tuple[str, ...] = (),
) -> ASGIApp:
    """The ASGI app serving `server` at /mcp (and /healthz), with every guard applied."""

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "server": "hyperrep-mcp", "version": __version__})

    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=stateless,
        transport_security=transport_security(host, extra_hosts),
        max_request_body_size=MAX_BODY_BYTES,
        host=host,
    )
    limit = settings.mcp_rate_limit
    if limit is None:
        limit = 0 if is_loopback(host) else DEFAULT_RATE_LIMIT
    if limit:
        app = ToolCallRateLimit(app, per_minute=limit, path=MCP_PATH, max_body=MAX_BODY_BYTES)
    if settings.mcp_token is not None:  # outermost: an unauthenticated caller spends nobody's budget
        app = BearerAuth(app, settings.mcp_token.get_secret_value())
    return GracefulDrain(app)


def run_uvicorn(
    app: ASGIApp | str, *, host: str, port: int, workers: int = 1, forwarded_allow_ips: str = ""
) -> None:
    """Run uvicorn until SIGTERM/SIGINT. `app` is the app, or with several workers the import string
    of an app factory each worker process calls. Logging stays as the caller set it up: one
    redacting handler on stderr."""
    import uvicorn

    common: dict[str, Any] = {
        **uvicorn_guards(forwarded_allow_ips),
        # None: keep our logging (stderr, secrets redacted) instead of uvicorn's stdout access log.
        "log_config": None,
        "log_level": None,
        # SIGTERM: stop accepting, let in-flight tool calls finish, then exit; below the 30 s an
        # orchestrator usually waits before SIGKILL.
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
        "server_header": False,
    }
    previous = signal.signal(signal.SIGTERM, _exit_cleanly)
    take_over_stream_draining()
    try:
        if workers > 1:
            if not isinstance(app, str):
                raise TypeError("several workers need the import string of an app factory")
            # uvicorn's supervisor would bind a socket asyncio does not recognise as TCP, so
            # TCP_NODELAY stays off and every reused connection stalls on delayed ACKs. Bind it
            # here with the option set; Linux passes it on to every accepted connection.
            sock = _listening_socket(host, port)
            uvicorn.run(app, factory=True, workers=workers, fd=sock.fileno(), **common)
            return
        uvicorn.run(app, host=host, port=port, **common)
    finally:
        signal.signal(signal.SIGTERM, previous)


def uvicorn_guards(forwarded_allow_ips: str = "") -> dict[str, Any]:
    """uvicorn options that protect the server before our app sees a request.

    - Forwarded headers: uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so any local
      client (or a proxy that passes the header through) could name its own address and rotate
      past the per-client rate limit. They are honoured only from the proxies the operator names.
    - Slow requests: each request's line and headers must arrive within a deadline (see httpproto).
    """
    from hyperrep_mcp.server.httpproto import HeaderDeadlineH11Protocol

    return {
        "http": HeaderDeadlineH11Protocol,
        "proxy_headers": bool(forwarded_allow_ips),
        "forwarded_allow_ips": forwarded_allow_ips or None,
    }


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _exit_cleanly(_signum: int, _frame: FrameType | None) -> None:
    """SIGTERM outside uvicorn's own handling: before start-up, or re-raised by uvicorn after its
    graceful shutdown. A requested stop is a success (exit 0), not a death by signal."""
    raise SystemExit(0)
