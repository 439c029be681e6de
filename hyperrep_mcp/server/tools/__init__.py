"""Tool modules. Importing this package registers every tool in `registry.REGISTRY`.

The import order is the order clients list the tools in: orientation first, then people, threads,
numbers and drafts.
"""

import importlib

for _module in (
    "directory",
    "analytics",
    "get_response_times",
    "contacts",
    "conversations",
    "search_messages",
    "drafts",
    "create_contact",
    "create_message_draft",
    "upsert_response_draft",
    "delete_message_draft",
    "delete_response_draft",
):
    importlib.import_module(f"hyperrep_mcp.server.tools.{_module}")
