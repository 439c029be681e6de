"""The tools, one module each, and `ALL_TOOLS`: the explicit list `build_server` receives.

The contract of a tool module (server/tools/<tool_name>.py):
- it declares exactly one tool with `@tool(...)` (server/registry.py) on an `async def` named after
  the tool; the decorator turns the function into the tool's `ToolSpec`, so the module attribute of
  that name *is* the spec, and nothing is registered as a side effect of importing it;
- its docstring is the tool's description, its type hints are the input and output schemas;
- it defines `EXAMPLE: dict`, the arguments of the example its description shows, with IDs that
  exist in the demo sandbox (tests/server/tools/ calls every tool with it on a sandbox pinned in time
  and snapshots the full text; response drafts move with the sandbox's anchor, so their examples
  hold on that pinned sandbox);
- it reads top to bottom: what the tool takes, what it fetches, what it computes, what it shows; the
  handler ends by building a record of what it found and returning `shown(record, budget=...)`, a
  pure function that makes the whole result (text and structured output), tested without the
  sandbox. A write tool's record is its typed result (write_common.shown); the undocumented
  listings share one (common.records_shown, through records_listing).

`ALL_TOOLS` is in the order clients list the tools: orientation first, then people, threads, numbers
and drafts, then the writes. A tool is added by importing its module here and adding one line;
a tool left out of the list is not served (and tests/server/tools/test_meta.py says so).
"""

from hyperrep_mcp.server.registry import ToolSpec
from hyperrep_mcp.server.tools import (
    create_contact,
    create_message_draft,
    delete_message_draft,
    delete_response_draft,
    get_contact,
    get_conversation_thread,
    get_message_draft,
    get_response_draft,
    get_response_rate,
    get_response_times,
    inbox_overview,
    list_agents,
    list_companies,
    list_contacts,
    list_conversations,
    list_message_drafts,
    list_organizations,
    list_response_drafts,
    list_sales,
    search_messages,
    upsert_response_draft,
)

ALL_TOOLS: tuple[ToolSpec, ...] = (
    list_organizations.list_organizations,
    list_companies.list_companies,
    list_agents.list_agents,
    list_sales.list_sales,
    get_response_rate.get_response_rate,
    inbox_overview.inbox_overview,
    get_response_times.get_response_times,
    list_contacts.list_contacts,
    get_contact.get_contact,
    list_conversations.list_conversations,
    get_conversation_thread.get_conversation_thread,
    search_messages.search_messages,
    list_message_drafts.list_message_drafts,
    get_message_draft.get_message_draft,
    list_response_drafts.list_response_drafts,
    get_response_draft.get_response_draft,
    create_contact.create_contact,
    create_message_draft.create_message_draft,
    upsert_response_draft.upsert_response_draft,
    delete_message_draft.delete_message_draft,
    delete_response_draft.delete_response_draft,
)
