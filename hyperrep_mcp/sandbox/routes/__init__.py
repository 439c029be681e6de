"""HTTP routes of the simulated API, one module per resource."""

from __future__ import annotations

from starlette.routing import Route

from hyperrep_mcp.sandbox.routes import (
    contacts,
    conversations,
    message_drafts,
    organizations,
    response_drafts,
)

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
