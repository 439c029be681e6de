"""Assemble the Starlette app: routes, JSON errors for unknown routes, the sandbox middleware."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from hyperrep_mcp.sandbox.config import SandboxConfig
from hyperrep_mcp.sandbox.fault_responses import quiet_server_logs
from hyperrep_mcp.sandbox.middleware import SandboxMiddleware
from hyperrep_mcp.sandbox.routes import build_routes
from hyperrep_mcp.sandbox.state import Sandbox


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    # Unknown routes and wrong methods answer FastAPI-style JSON, like the real API.
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A fresh sandbox (its own copy of the seeded data) served as an ASGI app.

    ``app.state.sandbox`` is the :class:`Sandbox`: its data, request log, fault plan and clock.
    """
    sandbox = Sandbox(config)
    quiet_server_logs()  # whoever serves this app over uvicorn
    app = Starlette(
        routes=build_routes(implied_endpoints=sandbox.config.implied_endpoints),
        exception_handlers={HTTPException: _http_error},
        middleware=[Middleware(SandboxMiddleware, sandbox=sandbox)],
    )
    app.state.sandbox = sandbox
    return app
