"""The first-call baseline: a HyperRep MCP server as one would write it in an afternoon.

Four read tools with the same names and arguments as ours, each making the obvious requests with
one module-level httpx2 client (its defaults: no warm-up, no caches, connections kept 5 s) and
answering the API's JSON. It sets the floor a person would compare us with. Run over stdio:
    HYPERREP_API_KEY=... HYPERREP_BASE_URL=... HYPERREP_ORGANIZATION_ID=... python bench/naive_server.py
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx2
from mcp.server import MCPServer

API = (
    os.environ["HYPERREP_BASE_URL"].rstrip("/")
    + "/api/v2/organizations/"
    + quote(os.environ["HYPERREP_ORGANIZATION_ID"], safe="")
)
http = httpx2.AsyncClient(headers={"X-API-KEY": os.environ["HYPERREP_API_KEY"]}, timeout=30)
server = MCPServer("naive")


async def get(path: str, **params: Any) -> Any:
    response = await http.get(API + path, params=params)
    response.raise_for_status()
    return response.json()


def seg(value: str) -> str:
    return quote(value, safe="")


@server.tool()
async def list_conversations(limit: int = 25) -> str:
    """Recent conversations, with their contacts' names."""
    page = await get("/conversations", limit=limit)
    ids = sorted({c["contact_id"] for c in page["data"] if c.get("contact_id")})
    contacts = await asyncio.gather(*(get(f"/contacts/{seg(i)}") for i in ids))
    names = {c["contact_id"]: c.get("name") for c in contacts}
    return json.dumps([{**c, "contact_name": names.get(c.get("contact_id"))} for c in page["data"]])


@server.tool()
async def get_conversation_thread(conversation_id: str, limit: int = 50) -> str:
    """A conversation and its messages."""
    conversation = await get(f"/conversations/{seg(conversation_id)}")
    messages = await get(f"/conversations/{seg(conversation_id)}/messages", limit=limit)
    return json.dumps({"conversation": conversation, "messages": messages["data"]})


@server.tool()
async def get_contact(contact_id: str) -> str:
    """A contact and their conversations."""
    contact = await get(f"/contacts/{seg(contact_id)}")
    conversations = await get(f"/contacts/{seg(contact_id)}/conversations", limit=25)
    return json.dumps({"contact": contact, "conversations": conversations["data"]})


@server.tool()
async def get_response_rate(compare_to_previous: bool = False) -> str:
    """The response rate of the last 30 days (and of the 30 before)."""
    now = datetime.now(UTC)
    windows = [(now - timedelta(days=30), now)]
    if compare_to_previous:
        windows.append((now - timedelta(days=60), now - timedelta(days=30)))
    path = "/analytics/conversations/response-rate"
    rates = await asyncio.gather(
        *(get(path, start_date=a.isoformat(), end_date=b.isoformat()) for a, b in windows)
    )
    return json.dumps(rates)


if __name__ == "__main__":
    server.run()
