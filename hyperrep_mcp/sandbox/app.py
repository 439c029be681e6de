"""Assemble the Starlette app: the route table, JSON errors for unknown routes, the sandbox middleware."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hyperrep_mcp.sandbox import SandboxConfig
from hyperrep_mcp.sandbox.fault_responses import quiet_server_logs
from hyperrep_mcp.sandbox.middleware import SandboxMiddleware
from hyperrep_mcp.sandbox.routes import (
    contacts,
    conversations,
    message_drafts,
    organizations,
    response_drafts,
)
from hyperrep_mcp.sandbox.state import Sandbox

BASE = "/api/v2/organizations"


def build_routes(*, implied_endpoints: bool) -> list[Route]:
    """Every documented and assumed route; ``implied_endpoints=False`` leaves out the two
    undocumented detail routes so they 404 like unknown paths."""
    org = BASE + "/{organization_id}"
    conv = org + "/conversations/{conversation_id}"
    routes = [
        Route(BASE, organizations.list_organizations, methods=["GET"]),
        Route(org + "/companies", organizations.list_companies, methods=["GET"]),
        Route(org + "/agents", organizations.list_agents, methods=["GET"]),
        Route(org + "/sales", organizations.list_sales, methods=["GET"]),
        Route(org + "/contacts", contacts.list_contacts, methods=["GET"]),
        Route(org + "/contacts", contacts.create_contact, methods=["POST"]),
        Route(org + "/contacts/{contact_id}", contacts.get_contact, methods=["GET"]),
        Route(org + "/contacts/{contact_id}/conversations", contacts.contact_conversations, methods=["GET"]),
        Route(org + "/conversations", conversations.list_conversations, methods=["GET"]),
        Route(conv + "/messages", conversations.list_messages, methods=["GET"]),
        Route(conv + "/response-drafts", response_drafts.list_drafts, methods=["GET"]),
        Route(conv + "/response-drafts", response_drafts.upsert_draft, methods=["POST"]),
        Route(conv + "/response-drafts/{response_id}", response_drafts.get_draft, methods=["GET"]),
        Route(conv + "/response-drafts/{response_id}", response_drafts.delete_draft, methods=["DELETE"]),
        Route(org + "/message-drafts", message_drafts.list_drafts, methods=["GET"]),
        Route(org + "/message-drafts", message_drafts.create_draft, methods=["POST"]),
        # Page 01 of the docs posts to this misspelled path and shows its older response shape.
        Route(org + "/messages-drafts", message_drafts.create_draft_legacy, methods=["POST"]),
        Route(org + "/message-drafts/{draft_id}", message_drafts.get_draft, methods=["GET"]),
        Route(org + "/message-drafts/{draft_id}", message_drafts.delete_draft, methods=["DELETE"]),
        Route(org + "/analytics/conversations/response-rate", organizations.response_rate, methods=["GET"]),
    ]
    if implied_endpoints:
        routes += [
            Route(conv, conversations.get_conversation, methods=["GET"]),
            Route(conv + "/messages/{message_id}", conversations.get_message, methods=["GET"]),
        ]
    return routes


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
