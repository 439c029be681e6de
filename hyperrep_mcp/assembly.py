"""Putting the process together from settings: the MCP server, the HTTP app, uvicorn.

The entry point (cli.py) and the doctor call this module; nothing here or below imports either of
them. Worker processes (`serve --transport http --workers N`) start from scratch and build their
app with `http_app_from_env`, a uvicorn app factory reading public environment only: the settings
(HYPERREP_*, see config.py) and the serving options below. The same factory serves any ASGI
server an operator runs it under (`uvicorn --factory hyperrep_mcp.assembly:http_app_from_env`),
but run that way the app gets only its own guards (token, Host/Origin, body deadline and nesting
bound, rate limit): not the header deadline (a uvicorn protocol class, see server/httpproto.py) and
not our forwarded-header default (uvicorn then believes X-Forwarded-For from 127.0.0.1). Pass
`--no-proxy-headers` (or `--forwarded-allow-ips` naming the proxies) and put a reverse proxy with a
header timeout in front, or use `hyperrep-mcp serve --transport http`, which sets both.

| variable | default | meaning |
|---|---|---|
| `HYPERREP_MCP_HOST` | `127.0.0.1` | the address the server is bound to (Host/Origin allowlist, rate limit) |
| `HYPERREP_MCP_STATELESS` | `false` | no sessions for 2025-era clients either (`--stateless`) |
| `HYPERREP_DEMO` | `false` | serve the built-in sandbox in-process (`--demo`) |

Extra Host names are the setting `HYPERREP_MCP_ALLOWED_HOSTS` (with `--allowed-host` flags merged in).
"""

from __future__ import annotations

import functools
import ipaddress
import os
from collections.abc import Callable
from typing import Any

import httpx2
from mcp.server import MCPServer
from pydantic import ValidationError
from starlette.types import ASGIApp

from hyperrep_mcp.config import ConfigError, FromEnvironment, Settings, load_settings
from hyperrep_mcp.logs import setup_logging
from hyperrep_mcp.server.app import build_server, tool_plan

WORKER_FACTORY = f"{__name__}:http_app_from_env"


class ServeOptions(FromEnvironment):
    """How the HTTP transport is served (the flags of `serve --transport http`), as public environment."""

    mcp_host: str = "127.0.0.1"
    mcp_stateless: bool = False
    demo: bool = False

    def environment(self) -> dict[str, str]:
        return {
            "HYPERREP_MCP_HOST": self.mcp_host,
            "HYPERREP_MCP_STATELESS": "true" if self.mcp_stateless else "false",
            "HYPERREP_DEMO": "true" if self.demo else "false",
        }


# --- the MCP server ------------------------------------------------------------------------------


def demo_transport() -> tuple[httpx2.AsyncBaseTransport, Callable[[], str]]:
    """An httpx2 transport into an in-process sandbox, and a function naming its main organization.

    The sandbox (its data generation is noticeable) is built on the first request, not at start-up:
    a client that only lists the tools never pays for it.
    """

    @functools.cache
    def sandbox_app() -> Any:
        from hyperrep_mcp.sandbox import SandboxConfig, create_app  # the demo only

        return create_app(SandboxConfig())

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await sandbox_app()(scope, receive, send)

    return httpx2.ASGITransport(app=app), lambda: sandbox_app().state.sandbox.data.fixtures.big_org_id


def make_server(settings: Settings, *, demo: bool) -> MCPServer:
    """The MCP server for these settings; with `demo`, wired to the in-process sandbox."""
    if not demo:
        return build_server(settings)
    transport, org = demo_transport()
    return build_server(settings, transport=transport, default_organization_id=org)


def check_tools(settings: Settings) -> int:
    """How many tools these settings register; a ConfigError (unknown excluded name) otherwise."""
    return len(tool_plan(settings))


# --- the HTTP app --------------------------------------------------------------------------------


def allowed_hosts(values: list[str]) -> tuple[str, ...]:
    """Host names from --allowed-host flags and HYPERREP_MCP_ALLOWED_HOSTS (comma-separated)."""
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    for name in names:
        if "/" in name or "@" in name or " " in name:
            raise ConfigError(f"--allowed-host takes a host name such as mcp.example.com (got {name!r})")
    return tuple(dict.fromkeys(names))


def forwarded_allow_ips(flag: str | None, setting: str) -> str:
    """The proxies whose X-Forwarded-For is believed (--forwarded-allow-ips over the setting), checked."""
    value = flag if flag is not None else setting
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    for entry in entries:
        network = _network(entry)
        if entry == "*" or (network is not None and network.prefixlen == 0):
            # Trusting every address makes the leftmost X-Forwarded-For entry, which the client
            # writes, its address: it could rotate it past the per-client rate limit.
            raise ConfigError(
                f"--forwarded-allow-ips {entry!r} would trust every client to name its own address; "
                "name your reverse proxies, e.g. 10.0.0.5,10.1.0.0/16"
            )
        if network is None:
            raise ConfigError(
                f"--forwarded-allow-ips takes IP addresses or networks such as 10.0.0.5,10.1.0.0/16 (got {entry!r})"
            )
    return ",".join(entries)


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def make_http_app(settings: Settings, options: ServeOptions) -> ASGIApp:
    """The HTTP app; extra Host names are the setting HYPERREP_MCP_ALLOWED_HOSTS (flags merged in)."""
    from hyperrep_mcp.server.http import build_http_app  # HTTP only: a stdio server does without

    server = make_server(settings, demo=options.demo)
    return build_http_app(
        server,
        settings,
        host=options.mcp_host,
        stateless=options.mcp_stateless,
        extra_hosts=allowed_hosts([settings.mcp_allowed_hosts]),
    )


def http_app_from_env() -> ASGIApp:
    """uvicorn app factory: settings and serving options from the (public) environment."""
    settings = load_settings()
    try:
        options = ServeOptions()
    except ValidationError as exc:
        raise ConfigError(f"serving options: {exc.errors()[0]['msg']}") from None
    setup_logging(settings)
    from hyperrep_mcp.server.http import take_over_stream_draining

    take_over_stream_draining()
    return make_http_app(settings, options)


def serve_http(settings: Settings, options: ServeOptions, *, port: int, workers: int = 1) -> None:
    """Serve until SIGTERM/SIGINT: one app in this process, or `workers` processes that each build
    theirs with `http_app_from_env` from the environment set here."""
    from hyperrep_mcp.server.http import run_uvicorn

    if workers == 1:
        run_uvicorn(
            make_http_app(settings, options),
            host=options.mcp_host,
            port=port,
            forwarded_allow_ips=settings.mcp_forwarded_allow_ips,
        )
        return
    os.environ.update(worker_environment(settings, options))
    run_uvicorn(
        WORKER_FACTORY,
        host=options.mcp_host,
        port=port,
        workers=workers,
        forwarded_allow_ips=settings.mcp_forwarded_allow_ips,
    )


def worker_environment(settings: Settings, options: ServeOptions) -> dict[str, str]:
    """Flags become public environment for worker processes (which start from scratch)."""
    env = {
        "HYPERREP_BASE_URL": settings.base_url,
        "HYPERREP_WRITE_MODE": settings.write_mode,
        "HYPERREP_TIMEOUT": str(settings.timeout),
        "HYPERREP_MAX_RETRIES": str(settings.max_retries),
        "HYPERREP_MAX_OUTPUT_CHARS": str(settings.max_output_chars),
        "HYPERREP_EXCLUDE_TOOLS": ",".join(sorted(settings.exclude_tools)),
        "HYPERREP_LOG_LEVEL": settings.log_level,
        "HYPERREP_MCP_ALLOWED_HOSTS": settings.mcp_allowed_hosts,
        "HYPERREP_MCP_FORWARDED_ALLOW_IPS": settings.mcp_forwarded_allow_ips,
        **options.environment(),
    }
    # Always set: a value inherited from the parent's environment must not override the flags
    # (e.g. --demo ignores a real organization pinned in the environment). Blank = unset.
    env["HYPERREP_ORGANIZATION_ID"] = settings.organization_id or ""
    if settings.api_key is not None:
        env["HYPERREP_API_KEY"] = settings.api_key.get_secret_value()
    if settings.mcp_state_key is None:
        # Workers must share one key or a multi-round-trip confirmation fails on another worker.
        env["HYPERREP_MCP_STATE_KEY"] = os.urandom(32).hex()
    return env
