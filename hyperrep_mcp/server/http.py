"""Streamable HTTP transport: `/mcp`, `GET /healthz`, bearer token, Host/Origin checks, limits.

The SDK enables DNS-rebinding protection only for loopback binds; we always pass an explicit
allowlist, so a server bound to 0.0.0.0 still refuses foreign Host and Origin headers. The bearer
token (HYPERREP_MCP_TOKEN) is compared in constant time. Nothing here keeps per-user state, so
any number of workers or replicas can serve the same clients (with one HYPERREP_MCP_STATE_KEY).
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from hyperrep_mcp import __version__
from hyperrep_mcp.config import Settings, is_loopback

MAX_BODY_BYTES = 1024 * 1024  # a tool call's JSON is small; a larger body is refused (413)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


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
        self.expected = f"Bearer {token}".encode()
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in self.open_paths:
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                response = JSONResponse(
                    {"error": "unauthorized", "detail": "Send Authorization: Bearer <HYPERREP_MCP_TOKEN>."},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="hyperrep-mcp"'},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


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
        streamable_http_path="/mcp",
        stateless_http=stateless,
        transport_security=transport_security(host, extra_hosts),
        max_request_body_size=MAX_BODY_BYTES,
        host=host,
    )
    if settings.mcp_token is not None:
        app = BearerAuth(app, settings.mcp_token.get_secret_value())
    return app


def serve_http(
    settings: Settings, *, host: str, port: int, stateless: bool, workers: int = 1, demo: bool = False
) -> None:
    """Run uvicorn. With several workers each process builds its own app from the environment."""
    import uvicorn

    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": settings.log_level.lower(),
        "timeout_graceful_shutdown": 30,  # SIGTERM: finish in-flight tool calls, then exit
        "server_header": False,
    }
    if workers > 1:
        os.environ.update(_worker_env(settings, host=host, stateless=stateless, demo=demo))
        uvicorn.run("hyperrep_mcp.server.http:worker_app", factory=True, workers=workers, **common)
        return
    uvicorn.run(_app_for(settings, host=host, stateless=stateless, demo=demo), **common)


def _app_for(settings: Settings, *, host: str, stateless: bool, demo: bool) -> ASGIApp:
    from hyperrep_mcp.cli import make_server

    return build_http_app(make_server(settings, demo=demo), settings, host=host, stateless=stateless)


def _worker_env(settings: Settings, *, host: str, stateless: bool, demo: bool) -> dict[str, str]:
    """Flags become environment for worker processes (which start from scratch)."""
    env = {
        "HYPERREP_BASE_URL": settings.base_url,
        "HYPERREP_WRITE_MODE": settings.write_mode,
        "HYPERREP_TIMEOUT": str(settings.timeout),
        "HYPERREP_MAX_RETRIES": str(settings.max_retries),
        "HYPERREP_MAX_OUTPUT_CHARS": str(settings.max_output_chars),
        "HYPERREP_EXCLUDE_TOOLS": ",".join(sorted(settings.exclude_tools)),
        "HYPERREP_LOG_LEVEL": settings.log_level,
        "_HYPERREP_HTTP_HOST": host,
        "_HYPERREP_HTTP_STATELESS": "1" if stateless else "",
        "_HYPERREP_DEMO": "1" if demo else "",
    }
    if settings.organization_id:
        env["HYPERREP_ORGANIZATION_ID"] = settings.organization_id
    if settings.api_key is not None:
        env["HYPERREP_API_KEY"] = settings.api_key.get_secret_value()
    if settings.mcp_state_key is None:
        # Workers must share one key or a multi-round-trip confirmation fails on another worker.
        env["HYPERREP_MCP_STATE_KEY"] = os.urandom(32).hex()
    return env


def worker_app() -> ASGIApp:
    """uvicorn factory for `--workers N`: settings come from the environment set by `serve_http`."""
    from hyperrep_mcp.cli import _setup_logging
    from hyperrep_mcp.config import load_settings

    settings = load_settings()
    _setup_logging(settings)
    return _app_for(
        settings,
        host=os.environ.get("_HYPERREP_HTTP_HOST", "127.0.0.1"),
        stateless=bool(os.environ.get("_HYPERREP_HTTP_STATELESS")),
        demo=bool(os.environ.get("_HYPERREP_DEMO")),
    )
